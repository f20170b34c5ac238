// Logging never takes a supervisor down (issue 15). The daemon's and the app
// masters' own lines go to their stderr, a file in DROVER_HOME/logs. When
// that write fails (disk full, EPERM, EIO), the line is dropped and counted,
// as the app logs do (logs/rotating-file.ts): a daemon that died of it would
// stop restarting masters, and a new one could not start while the disk
// stays full. Node's process.stderr on a file emits 'error' on a failed
// write, which without a listener kills the process: guardStdio() adds one.
import { closeSync, openSync, writeSync } from 'node:fs';

const stats = { written: 0, dropped: 0 };

/** Lines written to and dropped from this process's stderr. */
export function stderrStats(): { readonly written: number; readonly dropped: number } {
  return { ...stats };
}

/** Writes a line to fd 2 synchronously; a failure is counted, never thrown. */
export function writeStderrLine(line: string): void {
  try {
    writeSync(2, line.endsWith('\n') ? line : `${line}\n`);
    stats.written++;
  } catch {
    stats.dropped++;
  }
}

/** A failed write by anything else on stdout/stderr (Node's warnings, a library) is counted, not fatal. */
export function guardStdio(): void {
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => stats.dropped++);
}

/**
 * An fd to append a child's output to, or 'ignore' when the file cannot be
 * opened (EISDIR, EACCES, EROFS, ENOSPC on create): the child runs without
 * its log rather than not at all. Close a number with closeLogFd().
 */
export function openLogFd(file: string): number | 'ignore' {
  try {
    return openSync(file, 'a', 0o600);
  } catch {
    return 'ignore';
  }
}

export function closeLogFd(fd: number | 'ignore'): void {
  if (fd !== 'ignore') closeSync(fd);
}
