// Proof before the daemon uses or kills a master process (issue 15). A
// master the daemon spawned is its ChildProcess; a master a client names by
// pid (the one a cold `drover start` pre-started) is only a number, which
// could by now name another process: it is adopted only while it is a drover
// app master of this user, and pinned by its start time (proc-identity.ts).
import type { ChildProcess } from 'node:child_process';
import { DroverError } from '../errors.js';
import { isMasterArgv, isOurProcess, startTimeOf } from '../platform/proc-identity.js';

export interface MasterHandle {
  readonly pid: number | undefined;
  readonly child: ChildProcess | undefined;
  /** For a master the CLI started: its start time when the client named it. */
  readonly startTime?: string;
  exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
}

/**
 * A master a client says it started (a cold `drover start`): used, and
 * later possibly killed, only when it is provably a drover app master of
 * this user; its start time, taken now, pins the pid to that process.
 */
export function namedMaster(pid: number, name: string): MasterHandle {
  const startTime = startTimeOf(pid);
  if (!isOurProcess({ pid, startTime }, isMasterArgv)) {
    throw new DroverError('DROVER_E_PROTOCOL', `start ${name}: pid ${pid}, named as its pre-started master, is not a drover app master of yours: run the start again`, { pid });
  }
  return { pid, child: undefined, exited: undefined, startTime };
}

/**
 * SIGKILL for a master that never opened its socket: our own child through
 * its ChildProcess (not reaped yet, so its pid cannot have been reused); a
 * named one only while it is still the process recorded (same start time).
 */
export function killMaster(proc: MasterHandle): void {
  try {
    if (proc.child) {
      if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL');
    } else if (namedMasterAlive(proc)) process.kill(proc.pid!, 'SIGKILL');
  } catch {}
}

/** A named master still alive as the process recorded. */
export function namedMasterAlive(proc: MasterHandle): boolean {
  return proc.pid !== undefined && isOurProcess({ pid: proc.pid, startTime: proc.startTime ?? '' }, isMasterArgv);
}
