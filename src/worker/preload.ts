// Loaded before the app's own code in every Node worker drover starts: its
// CommonJS build with `node --require`, CommonJS and ES module apps alike
// (runtime/preload-flag.ts). Outside drover (no IPC channel, no worker id) it
// does nothing, so the same app runs unchanged with plain `node`.
import cluster from 'node:cluster';
import { WorkerRuntime } from './preload-runtime.js';

if (typeof process.send === 'function' && process.env.DROVER_WORKER_ID !== undefined) {
  if (cluster.isWorker) leaveClusterWorkerAlone();
  else WorkerRuntime.install();
}

/**
 * A worker the app forked with its own node:cluster inherits this preload and
 * drover's env, but its channel leads to the app's primary (the drover
 * worker), not to drover: its listen() goes through Node's cluster to that
 * primary, whose own listen() drover shares, and drover/worker's API stays
 * inactive in it (isWorker false), so nothing reaches drover under the
 * primary's name. (Node deletes NODE_UNIQUE_ID from the env before preloads
 * run; cluster.isWorker keeps it.) NODE_APP_INSTANCE stays: PM2 apps read it.
 */
function leaveClusterWorkerAlone(): void {
  for (const key of Object.keys(process.env)) if (key.startsWith('DROVER_')) delete process.env[key];
}
