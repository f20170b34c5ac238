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
// A turn has a quantum: the holder whose attempt just won keeps the turn for
// up to QUANTUM wins in a row while others wait, if its next attempt comes
// within twice its last turnaround (reply out to its next attempt in; at
// least STREAK_MS, at most MAX_STREAK_MS: a loaded machine's round trips are
// milliseconds). Its reply carried the version it wrote, so its next
// attempt is current and wins at once: a run of wins costs one round trip
// each, as a lone writer's does, where handing the turn on costs the next
// waiter a stale attempt (a conflict and a retry) per win. A waiter waits at
// most QUANTUM wins (or that window) per writer ahead of it. A holder that
// does not come back in time (it updates now and then, not in a loop) cost
// the waiters the window: it gets no quantum for LAPSE_WINDOWS of that window
// after it (at most LAPSE_MS), so such writers cost the waiters at most 1/50
// of their time each. The ban is as long as the window it cost, not a fixed
// second: on a loaded machine a looping writer is descheduled past a 2 ms
// window now and then, and a second without its quantum made each of its
// increments cost a stale attempt and a round trip more (issue 12: at load
// 14, 383 of 410 turns ended after one win, all of them banned writers).
//
// Only update()'s own attempts (flag u) wait; a plain set/delete, with or
// without ifVersion, is never held back, so it can make the holder's retry
// conflict again (the holder keeps the turn). A holder that never retries (its
// fn threw, its process died) loses the turn after LEASE_MS; waiting costs
// ordering, never correctness: every attempt is still a compare-and-set.
import { realTimers, type Timers } from '../messaging/rpc.js';
import { monotonicMs } from '../platform/clock.js';

export const LEASE_MS = 50;
/** Wins in a row a holder may make while others wait, and how soon its next attempt must come to keep the turn. */
export const QUANTUM = 16;
export const STREAK_MS = 2;
export const MAX_STREAK_MS = 20;
/** A writer that let its quantum lapse gets none for this many of the windows it missed, at most LAPSE_MS. */
export const LAPSE_WINDOWS = 50;
export const LAPSE_MS = 1_000;
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
  /** When the timer fires (it re-arms itself while the lease is renewed). */
  timerAt: number;
  /** The holder's wins in a row while holding. */
  wins: number;
  /** The lease is a quantum's (the holder won and may go again), not a conflict's. */
  streak: boolean;
  /** When the holder's last reply was made, and its last turnaround (that reply to its next attempt). */
  repliedAt: number;
  turnaround: number;
  /** The quantum's window of the holder's last win (how soon its next attempt must come). */
  window: number;
  /** The quantum's window ran out and is looked at once more, after the I/O of this turn of the event loop. */
  graced: boolean;
  readonly waiting: Waiter<Op>[];
}

export class FairCas<Op> {
  private readonly turns = new Map<string, Turn<Op>>();
  /** Writers that let a quantum lapse, until when they get none (one entry per process at most). */
  private readonly lapsed = new Map<string, number>();

  constructor(
    /** Tries the compare-and-set now (synchronously) and says whether it conflicted. */
    private readonly run: (op: Op) => Attempt,
    private readonly timers: Timers = realTimers,
    private readonly now: () => number = monotonicMs,
    private readonly leaseMs = LEASE_MS,
    private readonly quantum = QUANTUM,
    private readonly streakMs = STREAK_MS,
  ) {}

  /** An update() attempt on key by process `who`: its reply now, or once it is its turn. */
  attempt(key: string, who: string, op: Op): string | Promise<string> {
    const turn = this.turns.get(key);
    if (turn && turn.holder !== who && turn.waiting.length < MAX_WAITING) {
      return new Promise((resolve) => turn.waiting.push({ op, who, resolve }));
    }
    if (turn && turn.holder === who) turn.turnaround = this.now() - turn.repliedAt;
    const a = this.run(op);
    if (a.conflicted) this.hold(key, who);
    else if (turn && turn.holder === who) this.won(key, turn);
    return a.reply;
  }

  /** The holder's attempt won: it keeps the turn for its next one (the quantum), or the turn passes. */
  private won(key: string, t: Turn<Op>): void {
    if (++t.wins >= this.quantum || t.waiting.length === 0) return this.pass(key, t);
    const lapsed = this.lapsed.get(t.holder);
    if (lapsed !== undefined) {
      if (lapsed > this.now()) return this.pass(key, t);
      this.lapsed.delete(t.holder);
    }
    t.streak = true;
    t.repliedAt = this.now();
    t.window = Math.min(MAX_STREAK_MS, Math.max(this.streakMs, 2 * t.turnaround));
    this.lease(key, t, t.window);
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
    let turn = this.turns.get(key);
    if (!turn) {
      turn = { holder: who, leaseUntil: 0, timer: undefined, timerAt: 0, wins: 0, streak: false, repliedAt: 0, turnaround: 0, window: 0, graced: false, waiting: [] };
      this.turns.set(key, turn);
    } else if (turn.holder !== who) {
      turn.holder = who;
      turn.wins = 0;
      turn.turnaround = 0;
    }
    turn.streak = false;
    turn.repliedAt = this.now();
    this.lease(key, turn, this.leaseMs);
  }

  /**
   * The holder's lease runs ms from now. One timer per turn, not per attempt:
   * it re-arms itself while the lease keeps being renewed, and is armed anew
   * only when the lease would end before it fires.
   */
  private lease(key: string, t: Turn<Op>, ms: number): void {
    const now = this.now();
    t.leaseUntil = now + ms;
    t.graced = false;
    if (t.timer !== undefined && t.timerAt <= t.leaseUntil) return;
    this.timers.clearTimeout(t.timer);
    this.arm(key, t, ms, now);
  }

  private arm(key: string, t: Turn<Op>, ms: number, now: number): void {
    t.timerAt = now + ms;
    t.timer = this.timers.setTimeout(() => {
      if (this.turns.get(key) !== t) return;
      const at = this.now();
      const left = t.leaseUntil - at;
      if (left > 0) return this.arm(key, t, left, at);
      // A process descheduled past the window (a loaded machine) runs its timers before it reads the
      // holder's next attempt, which may be in the socket already: look again after this turn's I/O.
      if (t.streak && !t.graced) {
        t.graced = true;
        return this.arm(key, t, 0, at);
      }
      t.timer = undefined;
      if (t.streak) {
        if (this.lapsed.size >= 10_000) this.lapsed.clear();
        this.lapsed.set(t.holder, at + Math.min(LAPSE_MS, LAPSE_WINDOWS * t.window));
      }
      this.pass(key, t);
    }, ms);
    // Not unref'd: attempts waiting for the turn may be all that is left to do (clients in this process, as in tests).
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
        t.wins = 0;
        t.streak = false;
        t.turnaround = 0;
        t.repliedAt = this.now();
        this.lease(key, t, this.leaseMs);
        return;
      }
    }
  }
}
