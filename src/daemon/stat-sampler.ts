// CPU and memory of the processes `drover list` shows, read ahead of the
// request: a timer re-reads the pids of the last list every SAMPLE_MS, so a
// list answers from memory instead of reading /proc for every worker while
// the CLI waits (issue 17: 100 workers' /proc/<pid>/stat reads were 1.5-3 ms
// of the daemon's CPU per list, and a reply median of ~10 ms vs ~4 ms for a
// `ping` on a loaded machine).
//
// Contracts:
// - A row's CPU is the share of one core over the last 5-10 s
//   (CPU_WINDOW_MS, procstats.ts), memory its RSS at the last sample, at
//   most 2 × SAMPLE_MS old. A pid with no sample that recent
//   (a new worker, a timer held up by a busy loop) is read at request time,
//   as before the sampler.
// - The timer runs only while lists come (it stops IDLE_STOP_MS after the
//   last one: a daemon nobody asks reads nothing) and the last list named
//   pids, and is unref'd: it never keeps the daemon alive. Its cost is one
//   pread per pid per interval (100 workers: ~2 ms of CPU a second); the
//   first list after a pause reads at request time, as before the sampler.
// - It samples the pids of the last list: a worker started since is read at
//   the next list (request time) and sampled from then on; one that exited
//   drops out at its first failed read and is not read again (its number
//   may be reused).
import type { ProcStats } from '../control/records.js';
import { procStats, pruneSamples } from './procstats.js';

export const SAMPLE_MS = 1_000;
/** No list for this long: the timer stops (the next list starts it again). */
export const IDLE_STOP_MS = 60_000;
/**
 * The CPU window of a sampled pid: 5-10 s (procstats.ts). Reads every second
 * over 1 s would show an idle worker as 0% or 1% (a tick is 10 ms): 0-4% for
 * an app of 4 idle workers from one list to the next.
 */
export const CPU_WINDOW_MS = 5_000;

interface Latest {
  readonly stats: ProcStats;
  readonly at: number;
}

export interface StatSamplerOptions {
  readonly read?: (pid: number) => ProcStats | undefined;
  readonly prune?: (live: ReadonlySet<number>) => void;
  readonly now?: () => number;
  readonly intervalMs?: number;
  readonly idleStopMs?: number;
}

export class StatSampler {
  private readonly latest = new Map<number, Latest>();
  private tracked = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  private readonly read: (pid: number) => ProcStats | undefined;
  private readonly prune: (live: ReadonlySet<number>) => void;
  private readonly now: () => number;
  private readonly intervalMs: number;
  private readonly idleStopMs: number;
  private lastTrackAt = 0;

  constructor(options: StatSamplerOptions = {}) {
    this.read = options.read ?? ((pid) => procStats(pid, CPU_WINDOW_MS));
    this.prune = options.prune ?? pruneSamples;
    this.now = options.now ?? Date.now;
    this.intervalMs = options.intervalMs ?? SAMPLE_MS;
    this.idleStopMs = options.idleStopMs ?? IDLE_STOP_MS;
  }

  /** The pid's stats: the latest sample if recent enough, else read now. */
  readonly stats = (pid: number | undefined): ProcStats | undefined => {
    if (pid === undefined) return undefined;
    const l = this.latest.get(pid);
    if (l && this.now() - l.at <= 2 * this.intervalMs) return l.stats;
    return this.take(pid);
  };

  /**
   * The pids the rows just answered were built from: sampled from now on
   * (samples of other pids dropped). The timer starts with the first pid and
   * stops when none is left.
   */
  track(pids: ReadonlySet<number>): void {
    this.tracked = new Set(pids);
    this.lastTrackAt = this.now();
    for (const pid of this.latest.keys()) if (!pids.has(pid)) this.latest.delete(pid);
    this.prune(pids);
    if (pids.size > 0 && this.timer === undefined) {
      this.timer = setInterval(() => this.tick(), this.intervalMs);
      this.timer.unref();
    } else if (pids.size === 0) this.stop();
  }

  /** One round over the tracked pids (the timer's; exported for tests). */
  tick(): void {
    if (this.now() - this.lastTrackAt > this.idleStopMs) {
      this.stop();
      return;
    }
    // A pid whose process is gone is not read again (its number may be reused).
    for (const pid of this.tracked) if (!this.take(pid)) this.tracked.delete(pid);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private take(pid: number): ProcStats | undefined {
    const stats = this.read(pid);
    if (stats) this.latest.set(pid, { stats, at: this.now() });
    else this.latest.delete(pid);
    return stats;
  }
}
