// `drover/worker`: the API for apps that want more than the preloaded runtime
// gives unmodified apps. Every function is safe to call outside drover (plain
// `node app.js`): they then do nothing, so apps stay runnable on their own.
import { WorkerRuntime } from './preload-runtime.js';
import { messenger } from '../messaging/hub-client.js';
import { hubConnecting } from '../messaging/hub-client-key.js';
import type { Address } from '../messaging/envelope.js';
import type { Handler, Listener, RequestOptions } from '../messaging/endpoint.js';
import { agentReady, connectAgent } from './agent-side.js';
import { STICKY_KEY_MAX_LENGTH } from '../balancer/sticky-key.js';
export { onAppReady } from './app-ready.js';
export { state } from './state.js';
export type { Entry, StateApi, StateStatus, WatchEvent, WatchOptions, WriteOptions } from '../state/types.js';

/** True when this process is a worker started by drover. */
export const isWorker: boolean = process.env.DROVER_WORKER_ID !== undefined && typeof process.send === 'function';

/**
 * True in the app's agent (the `agent` option): one process per app beside the
 * workers, without the worker runtime (it shares no ports); messaging works
 * there as in a worker, and other processes reach it at the address 'agent'.
 */
export const isAgent: boolean = process.env.DROVER_AGENT === '1' && process.env.DROVER_WORKER_ID === undefined;

/** The worker's stable slot (DROVER_WORKER_ID), 0..N-1, reused by its replacement; -1 outside drover. */
export const workerId: number = isWorker ? Number(process.env.DROVER_WORKER_ID) : -1;

/**
 * Tells the master this worker is ready (counts when the app is started with
 * ready-on/waitReady). If a messaging connection is being set up (the app
 * called handle/on/send…), it is sent once the hub has accepted that
 * connection, so a ready worker can be addressed at once.
 */
export function ready(): void {
  const runtime = WorkerRuntime.current();
  const say = runtime ? () => runtime.ready() : isAgent ? agentReady : undefined;
  if (!say) return;
  const connecting = hubConnecting();
  if (connecting) void connecting.then(say);
  else say();
}

/**
 * With the stickyKey option: connections whose key (the cookie, header or
 * query parameter it names) is `key` go to this worker from now on. For
 * session ids the worker creates itself, e.g. socket.io with
 * `--sticky-key query:sid`: `io.engine.on('connection', (s) => claimStickyKey(s.id))`.
 * Call it before the response that tells the client its id is written (the
 * master handles the claim before it reads the client's next request).
 * Does nothing outside a drover worker or without stickyKey.
 */
export function claimStickyKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0 || key.length > STICKY_KEY_MAX_LENGTH) return;
  WorkerRuntime.current()?.claimStickyKey(key);
}

// In the agent: listen for app-ready, and ask for it in case it was sent before this module loaded.
if (isAgent) connectAgent();

/**
 * Runs `fn` when the worker is asked to stop, after its servers stopped
 * accepting and drained; awaited until the kill timeout.
 */
export function onShutdown(fn: () => unknown): void {
  WorkerRuntime.current()?.onShutdown(fn);
}

// ── messaging (issue 5): master, workers and agent ─────────────────────────
// The first call connects this process to its master's message hub (a unix
// socket beside Node's IPC channel); nothing is connected at boot. Outside
// drover, 'workers' and publish reach this process's own listeners and every
// other address rejects with DROVER_E_MSG_NO_ROUTE.

export type { Address } from '../messaging/envelope.js';
export type { Handler, Listener, MessageMeta, Messenger, RequestOptions } from '../messaging/endpoint.js';

/**
 * To 'master', 'agent', a worker id, or 'workers' (every worker, this one
 * included); received by on(topic) there. Resolves once the master has routed
 * it, and waits while a receiver is not keeping up.
 */
export function send(to: Address, topic: string, payload?: unknown): Promise<void> {
  return messenger().send(to, topic, payload);
}

/** Asks one process (not 'workers') and resolves with what its handle(topic) returned. */
export function request<T = unknown>(to: Address, topic: string, payload?: unknown, options?: RequestOptions): Promise<T> {
  return messenger().request<T>(to, topic, payload, options);
}

/** Answers request(…, topic, …) from any process; returns a function that removes the handler. */
export function handle(topic: string, fn: Handler): () => void {
  return messenger().handle(topic, fn);
}

/** Messages sent here (or to 'workers') and publications on topic; returns an unsubscribe function. */
export function on(topic: string, fn: Listener): () => void {
  return messenger().on(topic, fn);
}

/** To every on(topic) subscriber in every process: the master, the workers, the agent, this process too. */
export function publish(topic: string, payload?: unknown): Promise<void> {
  return messenger().publish(topic, payload);
}

// ── metrics (issue 13) ────────────────────────────────────────────────────

/**
 * Hands a prom-client registry (default: the app's prom-client global
 * registry) to drover: the master merges every worker's metrics into its
 * /metrics (counters and histograms summed, gauges by their aggregator). Does
 * nothing outside a drover worker (the agent included).
 */
export async function registerMetrics(registry?: import('./metrics.js').MetricsRegistry): Promise<void> {
  if (!isWorker) return;
  const { registerMetrics: register } = await import('./metrics.js');
  return register(registry);
}
