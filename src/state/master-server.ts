// The store's server with its backend, as the app master makes it: loaded by
// state/master.ts at the store's first request, not when the master starts
// (issue 17: the server, its compare-and-set turns and the file backend are
// memory every master held, and most apps never use the store).
import { fileBackend } from './file-backend.js';
import { memoryBackend } from './memory-backend.js';
import type { Backend } from './backend.js';
import { StateServer, type ServerLog } from './server.js';
import type { StateSpec } from './types.js';
import type { Stored } from './wire.js';

function backendFor(spec: StateSpec, log: ServerLog | undefined): (live: () => Iterable<Stored>) => Backend | Promise<Backend> {
  switch (spec.backend) {
    case 'memory':
      return () => memoryBackend();
    case 'file':
      return (live) =>
        fileBackend(spec.dir, live, {
          truncated: (file, dropped, at) => log?.warn({ event: 'state-log-truncated', file, droppedBytes: dropped, atByte: at }, `the state log ${file} was damaged at byte ${at} (a cut write): ${dropped} bytes dropped`),
          compactFailed: (file, err) => log?.error({ event: 'state-compact-failed', file, err: err.message }, `compacting ${file} failed: ${err.message}`),
        });
    case 'redis':
      // Loaded only when used: ioredis costs the master memory and start time.
      return async () => (await import('./redis-backend.js')).redisBackend(spec, log);
  }
}

export function masterServer(spec: StateSpec, log: ServerLog | undefined): StateServer {
  return new StateServer(backendFor(spec, log), log);
}
