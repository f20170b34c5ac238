// Rate limiting for what a worker sends (hub frames, drover IPC messages):
// `ratePerSecond` tokens a second, bursts of one second's worth, on the
// monotonic clock.
//
// Refilled on every take: refilling only once the bucket is empty would
// credit the whole time since the last refill at once (a second burst right
// after the first).
import { monotonicMs } from '../platform/clock.js';

/** How often an ongoing flood is reported (logged, counted as a strike). */
const REPORT_EVERY_MS = 1000;

export class TokenBucket {
  private tokens: number;
  private refilledAt: number;
  private reportedAt = -Infinity;

  constructor(
    private readonly ratePerSecond: number,
    /** Monotonic ms; tests pass a fake clock. */
    private readonly now: () => number = monotonicMs,
  ) {
    this.tokens = ratePerSecond;
    this.refilledAt = now();
  }

  /** Takes one token; false when there is none (the caller drops or waits). */
  take(): boolean {
    const now = this.now();
    this.tokens = Math.min(this.ratePerSecond, this.tokens + ((now - this.refilledAt) * this.ratePerSecond) / 1000);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }

  /** ms until the next token (after a take() that failed). */
  waitMs(): number {
    return Math.max(1, Math.ceil(((1 - this.tokens) * 1000) / this.ratePerSecond));
  }

  /** After a failed take(): true at most once a second, when the flood should be reported. */
  reportDue(): boolean {
    const now = this.now();
    if (now - this.reportedAt < REPORT_EVERY_MS) return false;
    this.reportedAt = now;
    return true;
  }
}
