// Who a pid is. A pid alone names a process only until it exits: the kernel
// hands the number to the next process, maybe another user's. `kill(pid, 0)`
// cannot tell them apart, and its EPERM only says "someone else's process",
// not "alive and ours". So a pid drover records or is told about is checked
// by its owner (real and effective uid, /proc/<pid>/status), its start time
// (/proc/<pid>/stat field 22, clock ticks since boot: a pid reused later has
// a later start time) and its command line.
//
// Without /proc (not Linux) only the owner test that kill() allows is made:
// EPERM is "not ours", success is "ours".
import { readFileSync } from 'node:fs';

export interface ProcIdentity {
  readonly pid: number;
  /** Real and effective uid. */
  readonly uids: readonly [number, number];
  /** Field 22 of /proc/<pid>/stat, as a string (it can exceed 2^53 in theory). */
  readonly startTime: string;
  readonly zombie: boolean;
  /** argv as /proc/<pid>/cmdline shows it (process.title rewrites it). */
  readonly cmdline: readonly string[];
}

const hasProc = (() => {
  try {
    readFileSync('/proc/self/stat');
    return true;
  } catch {
    return false;
  }
})();

/** The identity of a live (or zombie) pid, or undefined when there is none or /proc is missing. */
export function procIdentity(pid: number): ProcIdentity | undefined {
  if (!hasProc || !Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may contain spaces and ')': split after the last one.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const uid = /^Uid:\s+(\d+)\s+(\d+)/m.exec(status);
    if (!uid) return undefined;
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
    return { pid, uids: [Number(uid[1]), Number(uid[2])], startTime: fields[19] ?? '', zombie: fields[0] === 'Z', cmdline };
  } catch {
    return undefined;
  }
}

/** The start time to record next to a pid ('' without /proc). */
export function startTimeOf(pid: number): string {
  return procIdentity(pid)?.startTime ?? '';
}

export interface PidClaim {
  readonly pid: number;
  /** Recorded start time; '' when unknown (an old pid file). */
  readonly startTime: string;
}

/** "<pid> <start time>" (one line), the format of daemon.pid. */
export function formatPidClaim(pid: number): string {
  return `${pid} ${startTimeOf(pid)}`.trim() + '\n';
}

/** Reads "<pid>[ <start time>]"; undefined for anything else. */
export function parsePidClaim(text: string): PidClaim | undefined {
  const m = /^\s*(\d+)(?:\s+(\d+))?\s*$/.exec(text);
  if (!m) return undefined;
  return { pid: Number(m[1]), startTime: m[2] ?? '' };
}

/**
 * Is the claimed process alive, ours (same real and effective uid as this
 * process), started when recorded (when a start time was recorded), and is
 * its command line what `looksRight` expects? Anything else is a stranger.
 */
export function isOurProcess(claim: PidClaim, looksRight: (argv: readonly string[]) => boolean): boolean {
  if (!hasProc) {
    try {
      process.kill(claim.pid, 0);
      return true;
    } catch {
      return false; // ESRCH: gone; EPERM: someone else's
    }
  }
  const id = procIdentity(claim.pid);
  if (!id || id.zombie) return false;
  const uid = process.getuid?.();
  if (uid !== undefined && (id.uids[0] !== uid || id.uids[1] !== uid)) return false;
  if (claim.startTime !== '' && id.startTime !== claim.startTime) return false;
  return looksRight(id.cmdline);
}

/** argv of a drover daemon: node <drover>/dist/daemon/main.js. */
export const isDaemonArgv = (argv: readonly string[]): boolean => argv.some((a) => /[/\\]daemon[/\\]main\.js$/.test(a));

/** argv of an app master: before its launch record (node .../app-master.js) or after (process.title). */
export const isMasterArgv = (argv: readonly string[]): boolean => argv.some((a) => /[/\\]daemon[/\\]app-master\.js$/.test(a)) || /^drover-master /.test(argv.join(' '));
