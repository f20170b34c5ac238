// CPU and memory of processes from /proc, cheaply: one small read per pid
// (/proc/<pid>/stat), no child processes, no env gathering (PM2's `list`
// gathers full stats of every process on every call: #5901, #5369).
//
// CPU is the share of one core since the previous sample of the same pid
// (the daemon keeps one sample per pid); on the first sample it is the
// average over the process's lifetime.
import { readFileSync } from 'node:fs';
import type { ProcStats } from '../control/records.js';

/** USER_HZ: 100 on every Linux ABI Node runs on. */
const CLK_TCK = 100;

interface Sample {
  readonly ticks: number;
  readonly at: number;
  readonly startTime: string;
}

const samples = new Map<number, Sample>();
let pageSize: number | undefined;

function readStat(pid: number | 'self'): string[] | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name is in parentheses and may contain spaces.
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

/** The page size, from this process's own rss in pages vs in bytes. */
function pageBytes(): number {
  if (pageSize !== undefined) return pageSize;
  const fields = readStat('self');
  const pages = fields ? Number(fields[21]) : 0;
  const ratio = pages > 0 ? process.memoryUsage.rss() / pages : 4096;
  pageSize = 2 ** Math.round(Math.log2(ratio));
  return pageSize;
}

function uptimeSeconds(): number {
  try {
    return Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  } catch {
    return 0;
  }
}

export function procStats(pid: number | undefined): ProcStats | undefined {
  if (pid === undefined || process.platform !== 'linux') return undefined;
  const f = readStat(pid);
  if (!f) {
    samples.delete(pid);
    return undefined;
  }
  // Fields after the name, 0-based: state=0, utime=11, stime=12, starttime=19, rss=21.
  const ticks = Number(f[11]) + Number(f[12]);
  const startTime = f[19]!;
  const now = Date.now();
  const memory = Number(f[21]) * pageBytes();
  const prev = samples.get(pid);
  let cpu: number;
  if (prev && prev.startTime === startTime && now - prev.at >= 100) {
    cpu = ((ticks - prev.ticks) / CLK_TCK / ((now - prev.at) / 1000)) * 100;
  } else {
    const lifetime = uptimeSeconds() - Number(startTime) / CLK_TCK;
    cpu = lifetime > 0 ? (ticks / CLK_TCK / lifetime) * 100 : 0;
  }
  if (!prev || now - prev.at >= 100 || prev.startTime !== startTime) samples.set(pid, { ticks, at: now, startTime });
  return { cpu: Math.max(0, Math.round(cpu * 10) / 10), memory };
}

/** Forget samples of pids not in the live set (bounded memory). */
export function pruneSamples(live: ReadonlySet<number>): void {
  for (const pid of samples.keys()) if (!live.has(pid)) samples.delete(pid);
}
