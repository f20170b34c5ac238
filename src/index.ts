// The drover library: supervise an app from your own code.
import { resolveSpec } from './config/resolve.js';
import type { SuperviseOptions } from './config/schema.js';
import { Supervisor, type RuntimeOptions } from './runtime/supervisor.js';

/**
 * Validates the options (throws a DroverError before anything starts when they
 * are wrong), then starts the workers on the next tick, so listeners attached
 * right after this call see every lifecycle event. Await `.ready` for the first
 * start and `.done` for the end; `.stop()` drains and stops.
 */
export function supervise(options: SuperviseOptions, runtime: RuntimeOptions = {}): Supervisor {
  const supervisor = new Supervisor(resolveSpec(options), { source: options, ...runtime });
  queueMicrotask(() => supervisor.start());
  return supervisor;
}

export { Supervisor } from './runtime/supervisor.js';
export type { AgentInfo, RuntimeOptions, StartInfo, WorkerInfo } from './runtime/supervisor.js';
export type { SuperviseOptions } from './config/schema.js';
export type { AppSpec, LifecycleEvent, Outcome } from './core/types.js';
export { DroverError, CATALOG, type ErrorCode } from './errors.js';
