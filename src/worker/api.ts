// `drover/worker`: the API for apps that want more than the preloaded runtime
// gives unmodified apps. Every function is safe to call outside drover (plain
// `node app.js`): they then do nothing, so apps stay runnable on their own.
import { WorkerRuntime } from './runtime.js';

/** True when this process is a worker started by drover. */
export const isWorker: boolean = process.env.DROVER_WORKER_ID !== undefined && typeof process.send === 'function';

/** The worker's stable slot (DROVER_WORKER_ID), 0..N-1, reused by its replacement; -1 outside drover. */
export const workerId: number = isWorker ? Number(process.env.DROVER_WORKER_ID) : -1;

/** Tells the master this worker is ready (counts when the app is started with ready-on/waitReady). */
export function ready(): void {
  WorkerRuntime.current()?.ready();
}

/**
 * Runs `fn` when the worker is asked to stop, after its servers stopped
 * accepting and drained; awaited until the kill timeout.
 */
export function onShutdown(fn: () => unknown): void {
  WorkerRuntime.current()?.onShutdown(fn);
}
