// Lifecycle events as log lines: the level each is logged at and one sentence
// for people. Exhaustive: a new event does not compile until it has its line.
import { assertNever } from '../core/assert-never.js';
import type { LifecycleEvent } from '../core/types.js';
import { workerCount } from '../core/wording.js';

export type LogLevelOf = 'info' | 'warn' | 'error';

export function levelOf(e: LifecycleEvent): LogLevelOf {
  switch (e.event) {
    case 'crash':
    case 'giveup':
    case 'start-failed':
    case 'reload-failed':
    case 'agent-gave-up':
    case 'agent-crash':
      return 'error';
    case 'hung':
    case 'reload-refused':
    case 'warning':
      return 'warn';
    case 'exit':
    case 'agent-exit':
      return e.reason === 'crashed' ? 'warn' : 'info';
    default:
      return 'info';
  }
}

export function describe(e: LifecycleEvent): string {
  switch (e.event) {
    case 'fork':
    case 'online':
    case 'ready':
    case 'disconnect':
    case 'promote':
      return `worker ${e.slot} (pid ${e.pid}) ${e.event}`;
    case 'exit':
      return `worker ${e.slot} (pid ${e.pid}) exited: ${e.reason}${e.signal ? ` by ${e.signal}` : ` with code ${e.code}`}`;
    case 'restart':
      // Announced when it happens (deferred-restarts.ts), after its backoff.
      return `restarting worker ${e.slot}${e.delayMs > 0 ? ` after a ${e.delayMs} ms backoff` : ''} (${e.restartsInWindow} restarts in window)`;
    case 'giveup':
      return `giving up: ${e.restarts} restarts within ${e.windowMs} ms`;
    case 'started':
      return `${workerCount(e.workers)} ready in ${Math.round(e.durationMs)} ms`;
    case 'start-failed':
      return e.message;
    case 'crash':
      return `worker ${e.slot} (pid ${e.pid}) crashed: ${e.error.split('\n')[0]}`;
    case 'scale':
      return `scaling from ${e.from} to ${workerCount(e.to)}`;
    case 'stopping':
      return e.force ? 'stopping now (forced)' : 'stopping: draining workers';
    case 'stopped':
      return `stopped (exit code ${e.exitCode})`;
    case 'listening':
      return `worker ${e.slot} (pid ${e.pid}) listening on ${e.address}`;
    case 'warning':
      return e.message;
    case 'hung':
      return `worker ${e.slot} (pid ${e.pid}) is hung: no heartbeat for ${e.silentMs} ms, replacing it`;
    case 'recycle':
      return `worker ${e.slot} (pid ${e.pid}) reached its ${e.reason === 'memory' ? `memory limit (rss ${e.value} bytes)` : `request limit (${e.value})`}: replacing it gracefully`;
    case 'reload-start':
      return `reload ${e.id}: replacing ${workerCount(e.workers)}`;
    case 'reloaded':
      return `reload ${e.id} done: ${workerCount(e.workers)} in ${Math.round(e.durationMs)} ms`;
    case 'reload-failed':
      return `reload ${e.id} failed, the previous workers keep serving: ${e.message}`;
    case 'reload-refused':
      return `reload refused: ${e.message}`;
    case 'agent-spawn':
      return `agent (pid ${e.pid}) started`;
    case 'agent-ready':
      return `agent (pid ${e.pid}) ready in ${Math.round(e.durationMs)} ms`;
    case 'agent-crash':
      return `agent (pid ${e.pid}) crashed: ${e.error.split('\n')[0]}`;
    case 'agent-exit':
      return `agent (pid ${e.pid}) exited: ${e.reason}${e.error ? ` (${e.error})` : e.signal ? ` by ${e.signal}` : ` with code ${e.code}`}`;
    case 'agent-restart':
      return `restarting the agent in ${e.delayMs} ms (${e.restartsInWindow} restarts in window)`;
    case 'agent-gave-up':
      return `giving up on the agent: ${e.restarts} restarts within ${e.windowMs} ms; the workers keep running`;
    default:
      return assertNever(e, 'lifecycle event');
  }
}
