// Tells the daemon when what `drover list` shows of this master may have
// changed, so the daemon answers `list` from the status it read last instead
// of asking every master on every call (issue 17).
//
// Contract (the `watch` command's 'changed' event, control/commands.ts):
// - A watcher gets one 'changed' as soon as it watches (the capability: a
//   master that never sends one, an older drover, is asked on every list).
// - After that, at least one 'changed' follows every lifecycle event that
//   happened after the last status() read by anyone. Only that one: reads
//   reset the flag, so a master whose table moves a lot while nobody lists
//   sends one small frame, not one per event.
// - It is written synchronously from the supervisor's event, so on the
//   watcher's connection it precedes any reply the event leads to (a scale
//   or reload answered later): the daemon has marked its copy stale before
//   the command that caused the change returns.
import type { EventEmitter } from 'node:events';
import type { LifecycleEvent } from '../../core/types.js';

/** Every lifecycle event: one more in core/types.ts fails to compile here until it is listed. */
const EVENTS = {
  fork: true,
  online: true,
  listening: true,
  ready: true,
  disconnect: true,
  crash: true,
  exit: true,
  restart: true,
  giveup: true,
  started: true,
  'start-failed': true,
  scale: true,
  stopping: true,
  warning: true,
  hung: true,
  recycle: true,
  promote: true,
  'reload-start': true,
  reloaded: true,
  'reload-failed': true,
  'reload-refused': true,
  stopped: true,
  'agent-spawn': true,
  'agent-ready': true,
  'agent-crash': true,
  'agent-exit': true,
  'agent-restart': true,
  'agent-gave-up': true,
} as const satisfies Record<LifecycleEvent['event'], true>;

export class StatusChanges {
  private readonly listeners = new Set<() => void>();
  private announced = false;

  /** Follows a supervisor's lifecycle events; call before it starts. */
  follow(supervisor: EventEmitter): void {
    for (const event of Object.keys(EVENTS)) supervisor.on(event, () => this.announce());
  }

  /** A watcher: told at once, then after changes; returns its removal. */
  add(listener: () => void): () => void {
    this.listeners.add(listener);
    listener();
    return () => this.listeners.delete(listener);
  }

  /** The status was read: the next change is announced again. */
  read(): void {
    this.announced = false;
  }

  private announce(): void {
    if (this.announced) return;
    this.announced = true;
    for (const l of this.listeners) l();
  }

  clear(): void {
    this.listeners.clear();
  }
}
