// The daemon's pid file says whether a daemon runs, and whether the previous
// one crashed (it left the file behind).
import { closeSync, openSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { DroverError } from '../errors.js';

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
      writeFileSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return crashed;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (pid > 0 && pid !== process.pid && isDaemonProcess(pid)) return undefined;
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
    if (Number(readFileSync(file, 'utf8').trim()) === process.pid) unlinkSync(file);
  } catch {}
}

/** Alive and not a zombie (a zombie's pid still answers signal 0). */
export function pidAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return process.platform !== 'linux';
  }
}

/** Is pid a drover daemon (not a stranger that got the pid of a dead one)? */
function isDaemonProcess(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (/\) Z /.test(stat)) return false;
    return cmdline.includes('daemon/main.js');
  } catch {
    return process.platform !== 'linux';
  }
}
