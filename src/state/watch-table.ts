// The state server's watching processes and their patterns, with the
// processes watching each key derived from them (a change looks its key up
// once, not every pattern of every process). The table is the one writer of
// both, so the derived lists are dropped at one place: any change of who
// watches what.
import { matches } from './value.js';

/** A watching process as the table sees it: its patterns by watch id (the table alone changes them). */
export interface Watching {
  readonly patterns: ReadonlyMap<number, string>;
}

/** Keys whose watcher list is kept: an app writing many distinct keys refills it as it goes. */
export const WATCHED_KEYS_CACHED = 10_000;

export class WatchTable<S extends Watching> {
  private readonly subs = new Map<string, S>();
  private readonly byKey = new Map<string, S[]>();

  get size(): number {
    return this.subs.size;
  }

  get(subKey: string): S | undefined {
    return this.subs.get(subKey);
  }

  values(): IterableIterator<S> {
    return this.subs.values();
  }

  /** A process comes (or a new one takes its slot, with its own patterns). */
  set(subKey: string, sub: S): void {
    this.subs.set(subKey, sub);
    this.changed();
  }

  /** The process is gone: only if sub is still the one in its slot. */
  delete(subKey: string, sub: S): boolean {
    if (this.subs.get(subKey) !== sub) return false;
    this.subs.delete(subKey);
    this.changed();
    return true;
  }

  watch(sub: S, id: number, pattern: string): void {
    const patterns = sub.patterns as Map<number, string>;
    if (patterns.get(id) === pattern) return;
    patterns.set(id, pattern);
    this.changed();
  }

  unwatch(sub: S, id: number): boolean {
    if (!(sub.patterns as Map<number, string>).delete(id)) return false;
    this.changed();
    return true;
  }

  clear(): void {
    this.subs.clear();
    this.changed();
  }

  /** The processes with a pattern matching key, each once. */
  of(key: string): readonly S[] {
    let list = this.byKey.get(key);
    if (list !== undefined) return list;
    list = [];
    for (const sub of this.subs.values()) {
      for (const p of sub.patterns.values()) {
        if (!matches(p, key)) continue;
        list.push(sub);
        break;
      }
    }
    if (this.byKey.size >= WATCHED_KEYS_CACHED) this.byKey.clear();
    this.byKey.set(key, list);
    return list;
  }

  /** The one invalidation point of the derived lists. */
  private changed(): void {
    this.byKey.clear();
  }
}
