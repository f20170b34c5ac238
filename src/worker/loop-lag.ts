// The heartbeat's event-loop lag, measured by a plain timer instead of
// node:perf_hooks' monitorEventLoopDelay (issue 17: on Node 24 its native
// histogram held ~0.4 MB of a worker's USS, beside ~0.1 MB for this).
//
// The figure keeps the histogram's meaning: every RESOLUTION_MS a tick records
// the time since the previous tick (so an idle loop reads ~100 ms, a loop
// blocked for 2 s one gap of ~2 s), and the reply gives the 99th percentile of
// the gaps since the previous reply, ranked as HDR histograms rank (the
// round(0.99·n)-th smallest: the largest gap while n < 50, i.e. while
// heartbeats come less than ~5 s apart). One difference, on purpose: the
// histogram's reset also forgot the previous tick, so a block spanning a reply
// was never recorded; here the gap across a reply counts in the next one.
//
// The timer is unref'd: it never keeps a worker alive.

/** Sampling every 100 ms: finer sampling wakes an idle worker 50 times a second. */
const RESOLUTION_MS = 100;
/** Gaps kept when no reply takes them (a heartbeat minutes apart): the most recent. */
const MAX_GAPS = 4096;

export class LoopLag {
  private gaps: number[] = [];
  private last = performance.now();

  constructor() {
    setInterval(() => this.tick(), RESOLUTION_MS).unref();
  }

  private tick(): void {
    const now = performance.now();
    this.gaps.push(now - this.last);
    this.last = now;
    if (this.gaps.length > MAX_GAPS) this.gaps = this.gaps.slice(-MAX_GAPS / 2);
  }

  /** p99 of the gaps since the previous call, in ms (0 before the first tick); starts over. */
  takeP99Ms(): number {
    const gaps = this.gaps;
    if (gaps.length === 0) return 0;
    this.gaps = [];
    return hdrP99(gaps);
  }
}

/**
 * The 99th percentile as HDR histograms (monitorEventLoopDelay's) pick it: the
 * round(0.99·n)-th smallest value, at least the first. Sorts `values` in place.
 */
export function hdrP99(values: number[]): number {
  values.sort((a, b) => a - b);
  return values[Math.max(1, Math.round(0.99 * values.length)) - 1]!;
}
