// Proof before the daemon uses or kills a master process it did not start
// (issue 15). A master the daemon spawned is its ChildProcess, killed through
// it (not reaped yet, so its pid cannot have been reused). A master a client
// names by pid (the one a cold `drover start` pre-started) is only a number,
// which could by now name another process: it is adopted only while it is a
// drover app master of this user, and pinned by its start time
// (platform/proc-identity.ts).
import { DroverError } from '../errors.js';
import { isMasterArgv, isOurProcess, startTimeOf } from '../platform/proc-identity.js';

export interface NamedMaster {
  readonly pid: number;
  /** Its start time when the client named it. */
  readonly startTime: string;
}

/** The master a client named, or DROVER_E_PROTOCOL when the pid is no drover app master of ours. */
export function namedMaster(pid: number, name: string): NamedMaster {
  const startTime = startTimeOf(pid);
  if (!isOurProcess({ pid, startTime }, isMasterArgv)) {
    throw new DroverError('DROVER_E_PROTOCOL', `start ${name}: pid ${pid}, named as its pre-started master, is not a drover app master of yours: run the start again`, { pid });
  }
  return { pid, startTime };
}

/** Still the process that was named (alive, ours, same start time). */
export function namedMasterAlive(m: NamedMaster): boolean {
  return isOurProcess(m, isMasterArgv);
}

/** SIGKILL, only while it is still the process that was named. */
export function killNamedMaster(m: NamedMaster): void {
  try {
    if (namedMasterAlive(m)) process.kill(m.pid, 'SIGKILL');
  } catch {}
}
