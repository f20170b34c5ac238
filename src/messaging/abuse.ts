// What the hub does about a process that abuses the message channels
// (protocol violations, floods, spoofed IPC messages): each offence is logged,
// at most once a second per key with a count of what was not logged, and
// counts as a strike; abuseStrikes strikes within abuseWindowMs (the core's
// sliding window) and the process is to be replaced, once.
import { monotonicMs } from '../platform/clock.js';
import type { Logger } from '../logs/line-logger.js';
import { exceedsWindow, pruneWindow } from '../core/restart-policy.js';

export interface AbuseOptions {
  readonly log: Logger | undefined;
  readonly strikes: number;
  readonly windowMs: number;
  /** Monotonic ms; tests pass a fake clock. */
  readonly now?: () => number;
}

export class AbuseTracker {
  private readonly strikeTimes = new Map<number, number[]>();
  private readonly abused = new Set<number>();
  private readonly lastLog = new Map<string, { at: number; suppressed: number }>();
  private readonly now: () => number;

  constructor(private readonly options: AbuseOptions) {
    this.now = options.now ?? (monotonicMs);
  }

  /** Logs an offender at most once a second per key (keys start with `msg:<wid>:` or `ipc:<wid>:`). */
  offense(wid: number | undefined, key: string, message: string, details: Record<string, unknown>): void {
    const log = this.options.log;
    if (!log) return;
    const now = this.now();
    const last = this.lastLog.get(key);
    if (last && now - last.at < 1000) {
      last.suppressed++;
      return;
    }
    const suppressed = last?.suppressed ?? 0;
    this.lastLog.set(key, { at: now, suppressed: 0 });
    log.warn({ event: 'message-abuse', wid, ...details, suppressed }, suppressed > 0 ? `${message} (and ${suppressed} similar since the last report)` : message);
  }

  /** Counts a strike; returns the number of strikes in the window when this one makes the process due for replacement (once), else undefined. */
  strike(wid: number): number | undefined {
    if (this.abused.has(wid)) return undefined;
    const now = this.now();
    const recent = pruneWindow(this.strikeTimes.get(wid) ?? [], now, this.options.windowMs);
    recent.push(now);
    this.strikeTimes.set(wid, recent);
    // exceedsWindow says "one more would be too many": the abuseStrikes-th strike is the last one taken.
    if (!exceedsWindow(recent, this.options.strikes)) return undefined;
    this.abused.add(wid);
    return recent.length;
  }

  /** The process is gone: its strikes and log throttles go with it. */
  forget(wid: number): void {
    this.strikeTimes.delete(wid);
    this.abused.delete(wid);
    for (const key of this.lastLog.keys()) if (key.startsWith(`msg:${wid}:`) || key.startsWith(`ipc:${wid}:`)) this.lastLog.delete(key);
  }
}
