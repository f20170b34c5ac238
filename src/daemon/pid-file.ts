// The daemon's pid file says whether a daemon runs, and whether the previous
// one crashed (it left the file behind). It holds "<pid> <start time>": a pid
// counts as a live daemon only when it is ours, started at the recorded time
// and runs daemon/main.js (platform/proc-identity.ts); EPERM from kill(pid, 0)
// is someone else's process, never "a daemon is alive" (issue 15).
import { closeSync, openSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { DroverError } from '../errors.js';
import { formatPidClaim, isDaemonArgv, isOurProcess, parsePidClaim } from '../platform/proc-identity.js';

/**
 * Takes the pid file. Returns true when a previous daemon died without
 * removing it (a crash), false on a clean start, and undefined when a live
 * daemon holds it.
 */
export function takePidFile(file: string): boolean | undefined {
  let crashed = false;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeFileSync(fd, formatPidClaim(process.pid));
      closeSync(fd);
      return crashed;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const claim = parsePidClaim(readFileSync(file, 'utf8'));
    if (claim && claim.pid !== process.pid && isOurProcess(claim, isDaemonArgv)) return undefined;
    crashed = true;
    try {
      unlinkSync(file);
    } catch {}
  }
  throw new DroverError('DROVER_E_DAEMON_UNREACHABLE', `cannot take the pid file ${file}`);
}

/** Removes the pid file if it is still this process's. */
export function releasePidFile(file: string): void {
  try {
    if (parsePidClaim(readFileSync(file, 'utf8'))?.pid === process.pid) unlinkSync(file);
  } catch {}
}
