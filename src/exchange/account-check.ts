// What the exchange account is, checked before anything trades: position mode, leverage against the symbols' brackets,
// margin type set per symbol. Guarantees: a hedge-mode account or a leverage above a symbol's bracket maximum is refused
// with a ConfigError (exit 78) naming the setting and how to change it; nothing is placed by this check.
import type { Config } from '../config/schema.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { ExchangeError } from './errors.js';
import type { ExchangeGateway } from './gateway.js';
import type { LeverageBracket, PositionMode } from './types.js';

export interface AccountReport {
  positionMode: PositionMode | null;
  /** Per symbol: the bracket maximum and the largest position notional at the configured leverage. */
  symbols: Record<string, { maxLeverage: number; maxNotional: number; marginType: string }>;
  warnings: string[];
}

/** The largest position notional `leverage` allows: the cap of the last bracket whose maximum is at least it. */
export function notionalCapAt(brackets: LeverageBracket[], leverage: number): number {
  const ok = brackets.filter((b) => b.maxLeverage >= leverage);
  return ok.length ? Math.max(...ok.map((b) => b.notionalCap)) : 0;
}

/** The refusal for a leverage above the symbol's maximum, or null. */
export function leverageProblem(symbol: string, leverage: number, brackets: LeverageBracket[]): string | null {
  const max = Math.max(...brackets.map((b) => b.maxLeverage));
  if (leverage <= max) return null;
  const first = brackets.find((b) => b.maxLeverage === max)!;
  return `risk.leverage ${leverage} is above ${symbol}'s maximum leverage ${max} (its leverage bracket ${first.bracket}, up to ${first.notionalCap} notional) — fix: set risk.leverage to at most ${max}`;
}

export function hedgeModeProblem(config: Config): string {
  return (
    'the exchange account is in hedge mode (dual-side positions: LONG and SHORT legs per symbol); bosun trades one-way mode only — ' +
    (config.mode === 'paper'
      ? 'fix: set venue.account.positionMode to "one_way" (the simulated account)'
      : 'fix: switch the account to one-way mode with no position or order open (Binance: Futures → Preferences → Position Mode → One-way; or POST /fapi/v1/positionSide/dual dualSidePosition=false)')
  );
}

/**
 * Checks the account for `config`: refuses hedge mode and a leverage above any traded symbol's bracket maximum
 * (ConfigError), sets `risk.marginType` on each symbol (a change the exchange refuses because a position or order is open
 * is a warning: the position is left as it is). Exchange failures other than these propagate.
 */
export async function checkAccount(gw: ExchangeGateway, config: Config, log: Pick<Logger, 'info' | 'warn'>): Promise<AccountReport> {
  const report: AccountReport = { positionMode: null, symbols: {}, warnings: [] };
  if (gw.fetchPositionMode) {
    report.positionMode = await gw.fetchPositionMode();
    if (report.positionMode === 'hedge') throw new ConfigError(hedgeModeProblem(config));
  }
  const brackets = gw.fetchLeverageBrackets ? await gw.fetchLeverageBrackets(config.symbols) : new Map<string, LeverageBracket[]>();
  const problems = config.symbols.flatMap((s) => {
    const b = brackets.get(s);
    const p = b ? leverageProblem(s, config.risk.leverage, b) : null;
    return p ? [p] : [];
  });
  if (problems.length) throw new ConfigError(problems.join('\n'));
  for (const symbol of config.symbols) {
    const b = brackets.get(symbol);
    let marginType: string = config.risk.marginType;
    if (gw.setMarginType) {
      try {
        await gw.setMarginType(symbol, config.risk.marginType);
      } catch (err) {
        const code = err instanceof ExchangeError ? err.code : undefined;
        if (code !== -4047 && code !== -4048) throw err;
        marginType = 'unchanged';
        const w = `${symbol}: margin type not set to ${config.risk.marginType}: ${(err as Error).message} (an open position or order keeps its margin type)`;
        report.warnings.push(w);
        log.warn({ symbol, code }, w);
      }
    }
    report.symbols[symbol] = { maxLeverage: b ? Math.max(...b.map((x) => x.maxLeverage)) : NaN, maxNotional: b ? notionalCapAt(b, config.risk.leverage) : NaN, marginType };
  }
  log.info({ positionMode: report.positionMode, symbols: report.symbols }, 'exchange account checked');
  return report;
}
