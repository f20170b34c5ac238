// The drover library: supervise an app from your own code. Re-exports only.
export { supervise, Supervisor, type SupervisorOptions } from './supervise.js';
export type { AgentInfo, ReloadInfo, RuntimeOptions, StartInfo, WorkerInfo } from './runtime/supervisor.js';
export type { SuperviseOptions } from './config/schema.js';
export type { AppSpec, LifecycleEvent, Outcome } from './core/types.js';
export { DroverError, CATALOG, type ErrorCode } from './errors.js';
