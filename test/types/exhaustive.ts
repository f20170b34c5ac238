// Compile-time test (npm test runs `tsc -p test/types/tsconfig.json`): every
// switch over the core's unions ends in assertNever, so a variant that is not
// handled is a compile error, not an event silently dropped. Each union is
// switched over twice: once complete (compiles), once with one variant left
// out, where the @ts-expect-error line proves the compiler refuses it (and
// fails this test should the refusal ever stop).
import { assertNever, ignoreUnknown } from '../../src/core/assert-never.js';
import type { Effect, Event, LifecycleEvent, RecycleReason, RestartPolicy } from '../../src/core/types.js';
import type { MasterToWorker, WorkerToMaster } from '../../src/protocol/messages.js';

export function everyEffect(e: Effect): string {
  switch (e.type) {
    case 'spawn':
    case 'stop-worker':
    case 'kill':
    case 'spawn-agent':
    case 'stop-agent':
    case 'join':
    case 'leave':
    case 'heartbeat':
    case 'triggers':
    case 'strategy':
    case 'arm':
    case 'cancel':
    case 'emit':
    case 'halt':
      return e.type;
    default:
      return assertNever(e);
  }
}

export function effectLeftOut(e: Effect): string {
  switch (e.type) {
    case 'spawn':
    case 'stop-worker':
    case 'kill':
    case 'spawn-agent':
    case 'stop-agent':
    case 'join':
    case 'leave':
    case 'heartbeat':
    case 'triggers':
    case 'arm':
    case 'cancel':
    case 'emit':
    case 'halt':
      return e.type;
    default:
      // @ts-expect-error 'strategy' is not handled
      return assertNever(e);
  }
}

export function eventLeftOut(e: Event): string {
  switch (e.type) {
    case 'start':
    case 'spawned':
    case 'spawn-failed':
    case 'online':
    case 'listening':
    case 'listen-failed':
    case 'ready':
    case 'exiting':
    case 'disconnect':
    case 'exited':
    case 'timer':
    case 'scale':
    case 'stats':
    case 'stop':
    case 'agent-spawned':
    case 'agent-exited':
      return e.type;
    default:
      // @ts-expect-error 'reload' is not handled
      return assertNever(e);
  }
}

export function lifecycleLeftOut(e: LifecycleEvent): string {
  switch (e.event) {
    case 'fork':
    case 'online':
    case 'listening':
    case 'ready':
    case 'disconnect':
    case 'crash':
    case 'exit':
    case 'restart':
    case 'giveup':
    case 'started':
    case 'start-failed':
    case 'scale':
    case 'stopping':
    case 'hung':
    case 'promote':
    case 'reload-start':
    case 'reloaded':
    case 'reload-failed':
    case 'reload-refused':
    case 'stopped':
    case 'agent-spawn':
    case 'agent-crash':
    case 'agent-exit':
    case 'agent-restart':
    case 'agent-gave-up':
      return e.event;
    default:
      // @ts-expect-error 'recycle' is not handled
      return assertNever(e);
  }
}

export function recycleLeftOut(r: RecycleReason): string {
  switch (r) {
    case 'reload':
    case 'memory':
      return r;
    default:
      // @ts-expect-error 'max-requests' is not handled
      return assertNever(r);
  }
}

export function policyLeftOut(p: RestartPolicy): boolean {
  switch (p) {
    case 'always':
    case 'never':
      return true;
    default:
      // @ts-expect-error 'on-failure' is not handled
      return assertNever(p);
  }
}

export function workerMessageLeftOut(m: WorkerToMaster): void {
  switch (m.kind) {
    case 'online':
    case 'listen':
    case 'unlisten':
    case 'ready':
    case 'exiting':
    case 'conn-back':
    case 'pong':
    case 'conns':
      return;
    default:
      // @ts-expect-error 'bound' is not handled
      return assertNever(m);
  }
}

export function masterMessageLeftOut(m: MasterToWorker): void {
  switch (m.kind) {
    case 'listen-ok':
    case 'shed':
    case 'listen-error':
    case 'conn':
    case 'shutdown':
      return;
    default:
      // @ts-expect-error 'ping' is not handled: the worker's tolerant default is exhaustive too
      return ignoreUnknown(m);
  }
}
