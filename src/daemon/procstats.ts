// CPU and memory of processes from /proc, cheaply: one small read per pid
// (/proc/<pid>/stat), no child processes, no env gathering (PM2's `list`
// gathers full stats of every process on every call: #5901, #5369).
//
// CPU is the share of one core since the previous sample of the same pid, or
// over a window of windowMs to twice that for reads that come more often (the
// daemon keeps two samples per pid); on the first sample it is the average
// over the process's lifetime.
//
// The daemon keeps /proc/<pid>/stat open for the pids it samples (up to
// MAX_KEPT_FDS) and re-reads it with one pread: `drover list` with 100 workers
// did 100 open/fstat/read/read/close rounds (10-40 ms on a loaded machine,
// issue 17). A kept descriptor is bound to the process it was opened for:
// once that process has exited its reads fail (ESRCH), even if the pid is
// reused, so a reused pid is never read through an old descriptor; the
// descriptor is closed then, and when pruneSamples() drops the pid.
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import type { ProcStats } from '../control/records.js';
import { monotonicMs } from '../platform/clock.js';

/** USER_HZ: 100 on every Linux ABI Node runs on. */
const CLK_TCK = 100;
/** Descriptors kept open at most (one per sampled pid); beyond, a pid is opened for each read. */
const MAX_KEPT_FDS = 512;
/** A stat line is under 400 bytes (the command name is at most 64); a full buffer means more: read it whole. */
const STAT_BYTES = 1024;

export interface Sample {
  readonly ticks: number;
  readonly at: number;
  readonly startTime: string;
}

/**
 * Two samples per pid: CPU is measured against `next` once it is windowMs
 * old (then `next` becomes `base` and this read the new `next`), else against
 * `base`, which was windowMs older than `next`: a window of windowMs to
 * 2 × windowMs for reads that come more often (the daemon's sampler, every
 * second), and since the previous read for reads further apart.
 */
export interface Samples {
  readonly base: Sample;
  readonly next: Sample;
}

const samples = new Map<number, Samples>();
const fds = new Map<number, number>();
const statBuf = Buffer.allocUnsafe(STAT_BYTES);
let pageSize: number | undefined;

function fields(text: string): string[] {
  // The command name is in parentheses and may contain spaces.
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

function closeFd(pid: number): void {
  const fd = fds.get(pid);
  if (fd === undefined) return;
  fds.delete(pid);
  try {
    closeSync(fd);
  } catch {
    // already closed: nothing to free
  }
}

function readStat(pid: number | 'self'): string[] | undefined {
  if (pid === 'self') {
    try {
      return fields(readFileSync('/proc/self/stat', 'utf8'));
    } catch {
      return undefined;
    }
  }
  let fd = fds.get(pid);
  const kept = fd !== undefined;
  try {
    fd ??= openSync(`/proc/${pid}/stat`, 'r');
  } catch {
    return undefined;
  }
  let n: number;
  try {
    n = readSync(fd, statBuf, 0, STAT_BYTES, 0);
  } catch {
    // ESRCH: the process this descriptor was opened for is gone.
    if (kept) closeFd(pid);
    else closeSync(fd);
    return undefined;
  }
  if (!kept) {
    if (fds.size < MAX_KEPT_FDS) fds.set(pid, fd);
    else closeSync(fd);
  }
  if (n === STAT_BYTES) {
    closeFd(pid);
    try {
      return fields(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return undefined;
    }
  }
  return fields(statBuf.toString('latin1', 0, n));
}

/** The page size, from this process's own rss in pages vs in bytes. */
function pageBytes(): number {
  if (pageSize !== undefined) return pageSize;
  const f = readStat('self');
  const pages = f ? Number(f[21]) : 0;
  const ratio = pages > 0 ? process.memoryUsage.rss() / pages : 4096;
  pageSize = 2 ** Math.round(Math.log2(ratio));
  return pageSize;
}

/**
 * Seconds since boot (the clock of a process's start time), read from
 * /proc/uptime at most once a second and advanced by the monotonic clock in
 * between: a list of 100 new pids read it 100 times.
 */
let uptimeBase: { readonly seconds: number; readonly at: number } | undefined;
function uptimeSeconds(): number {
  const now = monotonicMs();
  if (uptimeBase === undefined || now - uptimeBase.at > 1000) {
    try {
      uptimeBase = { seconds: Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]), at: now };
    } catch {
      return 0;
    }
  }
  return uptimeBase.seconds + (now - uptimeBase.at) / 1000;
}

/** Shortest CPU window: reads closer than this give the lifetime average. */
const MIN_WINDOW_MS = 100;

/**
 * The sample a read's CPU is measured against (none: under MIN_WINDOW_MS,
 * or a new process: the lifetime average) and the samples kept after it.
 */
export function cpuWindow(prev: Samples | undefined, cur: Sample, windowMs: number): { ref: Sample | undefined; keep: Samples } {
  if (prev === undefined || prev.next.startTime !== cur.startTime) return { ref: undefined, keep: { base: cur, next: cur } };
  if (cur.at - prev.next.at >= Math.max(windowMs, MIN_WINDOW_MS)) return { ref: prev.next, keep: { base: prev.next, next: cur } };
  return { ref: cur.at - prev.base.at >= MIN_WINDOW_MS ? prev.base : undefined, keep: prev };
}

/** windowMs: the CPU window wanted (see Samples); the default, the time since the previous read. */
export function procStats(pid: number | undefined, windowMs = MIN_WINDOW_MS): ProcStats | undefined {
  if (pid === undefined || process.platform !== 'linux') return undefined;
  const f = readStat(pid);
  if (!f) {
    samples.delete(pid);
    closeFd(pid);
    return undefined;
  }
  // Fields after the name, 0-based: state=0, utime=11, stime=12, starttime=19, rss=21.
  const ticks = Number(f[11]) + Number(f[12]);
  const startTime = f[19]!;
  const now = Date.now();
  const memory = Number(f[21]) * pageBytes();
  const { ref, keep } = cpuWindow(samples.get(pid), { ticks, at: now, startTime }, windowMs);
  samples.set(pid, keep);
  let cpu: number;
  if (ref) {
    cpu = ((ticks - ref.ticks) / CLK_TCK / ((now - ref.at) / 1000)) * 100;
  } else {
    const lifetime = uptimeSeconds() - Number(startTime) / CLK_TCK;
    cpu = lifetime > 0 ? (ticks / CLK_TCK / lifetime) * 100 : 0;
  }
  return { cpu: Math.max(0, Math.round(cpu * 10) / 10), memory };
}

/** Forget samples of pids not in the live set (bounded memory). */
export function pruneSamples(live: ReadonlySet<number>): void {
  for (const pid of samples.keys()) if (!live.has(pid)) samples.delete(pid);
  for (const pid of fds.keys()) if (!live.has(pid)) closeFd(pid);
}
