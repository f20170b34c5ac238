// Loaded with `node --import <this file>` before the app's own code, in every
// Node worker drover starts. Outside drover (no IPC channel, no worker id) it
// does nothing, so the same app runs unchanged with plain `node`.
import { WorkerRuntime } from './preload-runtime.js';

if (typeof process.send === 'function' && process.env.DROVER_WORKER_ID !== undefined) {
  WorkerRuntime.install();
}
