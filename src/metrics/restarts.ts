// Why each restart happened, from the supervisor's lifecycle events. Pure.
//
// The core announces a cause (crash, hung, an exit) and then the restart (a
// `restart` of the slot, or the `promote` of a spare into the dead worker's
// place); in a crash announced by the worker the restart comes before the
// exit. Graceful replacements (memory, max-requests) count as restarts too.
import type { LifecycleEvent } from '../core/types.js';

export type RestartReason = 'crash' | 'hung' | 'exit' | 'ready-timeout' | 'memory' | 'max-requests';

export interface Restart {
  readonly slot: number;
  readonly reason: RestartReason;
}

export class RestartCauses {
  /** Causes announced and not yet followed by their restart, by slot, oldest first. */
  private readonly causes = new Map<number, { readonly wid: number; readonly reason: RestartReason; readonly running: boolean }>();
  /** Workers already restarted for (a crash or hang is replaced before the process exits): their exit is no new cause. */
  private readonly handled = new Set<number>();

  /** The restart this event completes, if any. */
  note(e: LifecycleEvent): Restart | undefined {
    switch (e.event) {
      case 'crash':
      case 'hung':
        this.causes.set(e.slot, { wid: e.wid, reason: e.event, running: true });
        return undefined;
      case 'exit': {
        if (this.handled.delete(e.wid)) return undefined;
        // A crash or hang announced while it ran, not restarted (yet): the exit adds nothing.
        if (this.causes.get(e.slot)?.wid === e.wid) {
          this.causes.set(e.slot, { ...this.causes.get(e.slot)!, running: false });
          return undefined;
        }
        const reason: RestartReason | undefined =
          e.reason === 'crashed' || e.reason === 'killed' ? 'crash' : e.reason === 'exited' ? 'exit' : e.reason === 'ready-timeout' ? 'ready-timeout' : undefined;
        if (reason && !this.causes.has(e.slot)) this.causes.set(e.slot, { wid: e.wid, reason, running: false });
        return undefined;
      }
      case 'restart':
        return this.take(e.slot);
      case 'promote': {
        // The spare fills the place of the worker whose cause came first.
        const first = this.causes.keys().next();
        return first.done ? undefined : this.take(first.value);
      }
      case 'recycle':
        // A reload replaces workers on purpose: not a restart.
        return e.reason === 'reload' ? undefined : { slot: e.slot, reason: e.reason };
      case 'stopping':
        this.causes.clear();
        return undefined;
      default:
        return undefined;
    }
  }

  private take(slot: number): Restart {
    const cause = this.causes.get(slot);
    this.causes.delete(slot);
    // Bounded: an entry lives only until that worker's exit, which always follows.
    if (cause?.running) this.handled.add(cause.wid);
    return { slot, reason: cause?.reason ?? 'crash' };
  }
}
