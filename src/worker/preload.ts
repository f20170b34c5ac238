// Loaded before the app's own code in every Node worker drover starts: its
// CommonJS build with `node --require`, CommonJS and ES module apps alike
// (runtime/preload-flag.ts). Outside drover (no IPC channel, no worker id) it
// does nothing, so the same app runs unchanged with plain `node`.
import type cluster from 'node:cluster';
import { lazyBuiltin } from './lazy-builtin.js';
import { WorkerRuntime } from './preload-runtime.js';

installWorkerRuntime();

/**
 * What this preload does at load; again by a pre-booted worker once it has
 * its app's environment (worker/preboot.ts): it loaded this file before it
 * had a worker id, when this did nothing. Once per process (install() is).
 */
export function installWorkerRuntime(): void {
  if (typeof process.send !== 'function' || process.env.DROVER_WORKER_ID === undefined) return;
  if (isClusterWorker()) leaveClusterWorkerAlone();
  else WorkerRuntime.install();
}

/**
 * Node sets up a cluster worker (loading node:cluster) before it runs the
 * preloads, so whether node:cluster is loaded already tells a worker of the
 * app's own cluster from drover's worker without loading it: in drover's
 * worker, `import cluster` loaded Node's cluster primary (5 modules) on every
 * boot, a replacement's included (issue 17). process.moduleLoadList is
 * undocumented (Node 20 and 24 have it): without it, node:cluster is asked.
 */
function isClusterWorker(): boolean {
  const loaded = (process as { moduleLoadList?: unknown }).moduleLoadList;
  if (Array.isArray(loaded)) return loaded.includes('NativeModule cluster') && lazyBuiltin<typeof cluster>('node:cluster').isWorker;
  return lazyBuiltin<typeof cluster>('node:cluster').isWorker;
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
