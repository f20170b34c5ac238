// Turns for update()'s compare-and-set attempts on a contended key.
//
// Without them, N processes looping update() on one key each keep one attempt
// in flight; the master takes them in arrival order, one wins, and the other
// N-1 were computed from the version it just replaced: every success costs N
// attempts, and the last winner, whose reply carries the newest version, tends
// to win again. With turns, the writer whose attempt conflicted holds the key's
// turn: its conflict reply carries the current entry, and until its retry
// arrives (one round trip) other update() attempts on the key wait in a FIFO
// instead of failing. When the holder's write succeeds the turn passes to the
// first waiter, whose attempt is tried then (it writes if still current, or
// gets a conflict reply with the current entry and holds the turn). So a
// success costs about two attempts and one round trip, and writers take turns.
//
// Only update()'s own attempts (flag u) wait; a plain set/delete, with or
// without ifVersion, is never held back, so it can make the holder's retry
// conflict again (the holder keeps the turn). A holder that never retries (its
// fn threw, its process died) loses the turn after LEASE_MS; waiting costs
// ordering, never correctness: every attempt is still a compare-and-set.
import { realTimers, type Timers } from '../messaging/rpc.js';

export const LEASE_MS = 50;
/** Waiters per key; beyond it an attempt is tried at once, as without turns. */
const MAX_WAITING = 10_000;

export interface Attempt {
  readonly reply: string;
  readonly conflicted: boolean;
}

interface Waiter<Op> {
  readonly op: Op;
  readonly who: string;
  readonly resolve: (reply: string) => void;
}

interface Turn<Op> {
  holder: string;
  leaseUntil: number;
  timer: unknown;
  readonly waiting: Waiter<Op>[];
}

export class FairCas<Op> {
  private readonly turns = new Map<string, Turn<Op>>();

  constructor(
    /** Tries the compare-and-set now (synchronously) and says whether it conflicted. */
    private readonly run: (op: Op) => Attempt,
    private readonly timers: Timers = realTimers,
    private readonly now: () => number = () => performance.now(),
    private readonly leaseMs = LEASE_MS,
  ) {}

  /** An update() attempt on key by process `who`: its reply now, or once it is its turn. */
  attempt(key: string, who: string, op: Op): string | Promise<string> {
    const turn = this.turns.get(key);
    if (turn && turn.holder !== who && turn.waiting.length < MAX_WAITING) {
      return new Promise((resolve) => turn.waiting.push({ op, who, resolve }));
    }
    const a = this.run(op);
    if (a.conflicted) this.hold(key, who);
    else if (turn && turn.holder === who) this.pass(key, turn);
    return a.reply;
  }

  /** Keys with a turn, and attempts waiting (tests and metrics). */
  stats(): { keys: number; waiting: number } {
    let waiting = 0;
    for (const t of this.turns.values()) waiting += t.waiting.length;
    return { keys: this.turns.size, waiting };
  }

  /** The store is closing: every waiter gets `reply`. */
  close(reply: string): void {
    for (const t of this.turns.values()) {
      this.timers.clearTimeout(t.timer);
      for (const w of t.waiting.splice(0)) w.resolve(reply);
    }
    this.turns.clear();
  }

  private hold(key: string, who: string): void {
    const until = this.now() + this.leaseMs;
    const turn = this.turns.get(key);
    if (turn) {
      turn.holder = who;
      turn.leaseUntil = until;
      return;
    }
    // One timer per lease period, not per attempt: it re-arms itself while the lease keeps being renewed.
    const t: Turn<Op> = { holder: who, leaseUntil: until, timer: undefined, waiting: [] };
    this.turns.set(key, t);
    this.arm(key, t, this.leaseMs);
  }

  private arm(key: string, t: Turn<Op>, ms: number): void {
    t.timer = this.timers.setTimeout(() => {
      if (this.turns.get(key) !== t) return;
      const left = t.leaseUntil - this.now();
      if (left > 0) return this.arm(key, t, left);
      t.timer = undefined;
      this.pass(key, t);
    }, ms);
    (t.timer as { unref?: () => void })?.unref?.();
  }

  /** The holder is done (or gone): the first waiter's attempt is tried; the first that conflicts holds the turn. */
  private pass(key: string, t: Turn<Op>): void {
    for (;;) {
      const next = t.waiting.shift();
      if (!next) {
        this.timers.clearTimeout(t.timer);
        this.turns.delete(key);
        return;
      }
      const a = this.run(next.op);
      next.resolve(a.reply);
      if (a.conflicted) {
        t.holder = next.who;
        t.leaseUntil = this.now() + this.leaseMs;
        if (t.timer === undefined) this.arm(key, t, this.leaseMs);
        return;
      }
    }
  }
}
