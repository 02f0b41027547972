// Helpers shared by CLI commands: config resolution and the control socket path.
// Guarantees every command finds the same config and socket the daemon uses.
import { resolve } from 'node:path';
import { defaultConfigFile, loadConfig } from '../config/load.js';
import { fromRoot } from '../paths.js';

export const configOf = (file?: string): string => resolve(file ?? process.env.BOSUN_CONFIG ?? defaultConfigFile('paper'));

export const socketOf = (o: { config?: string; socket?: string }): string =>
  o.socket ? resolve(o.socket) : fromRoot(loadConfig(configOf(o.config)).config.control.socketPath);

/** Every command module exports one of these; it sets `ctx.code` to report its exit code. */
export interface CliContext {
  code: number;
}
