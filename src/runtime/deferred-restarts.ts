// The core announces a restart when it schedules it, with the backoff delay.
// Logged right then, "restarting worker 0 in 200 ms" was a promise the
// give-up of another worker's crash could break inside those 200 ms (the
// restart never happened, issue 15). So a delayed restart is announced (log
// line and 'restart' event) when its timer fires and the process is started;
// a restart cancelled before that (a give-up, a stop) is never announced.
import type { LifecycleEvent } from '../core/types.js';

type RestartEvent = Extract<LifecycleEvent, { event: 'restart' }>;

export class DeferredRestarts {
  private readonly held = new Map<string, RestartEvent>();

  /** True when the event is held until its timer fires (a delayed restart). */
  hold(e: LifecycleEvent): boolean {
    if (e.event !== 'restart' || e.delayMs <= 0) return false;
    this.held.set(`restart:${e.slot}`, e);
    return true;
  }

  /** The held announcement of timer `key`, when it fires. */
  release(key: string): RestartEvent | undefined {
    const e = this.held.get(key);
    this.held.delete(key);
    return e;
  }

  /** The timer was cancelled (or the supervisor halts): the restart will not happen. */
  drop(key?: string): void {
    if (key === undefined) this.held.clear();
    else this.held.delete(key);
  }
}
