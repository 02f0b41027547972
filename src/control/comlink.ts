// comlink wiring for worker_threads MessagePorts (the node adapter needs a cast under NodeNext).
// Guarantees one place knows how a MessagePort becomes a comlink endpoint.
import * as Comlink from 'comlink';
import nodeAdapterModule from 'comlink/dist/umd/node-adapter.js';
import type { MessagePort } from 'node:worker_threads';

type NodeEndpointFn = (port: MessagePort) => Comlink.Endpoint;
const nodeEndpoint = nodeAdapterModule as unknown as NodeEndpointFn;

export function exposeOn<T extends object>(api: T, port: MessagePort): void {
  Comlink.expose(api, nodeEndpoint(port));
}

export function wrapPort<T>(port: MessagePort): Comlink.Remote<T> {
  return Comlink.wrap<T>(nodeEndpoint(port));
}

export const transfer = Comlink.transfer;
export const releaseProxy = Comlink.releaseProxy;
export type Remote<T> = Comlink.Remote<T>;
