// The message hub's socket directory: mkdtemp under the system temp dir (mode
// 0700, so only this user can reach the socket), named after the master's pid,
// and removed on close() or, failing that, when the process exits.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const DIR_PREFIX = 'drover-hub-';

/**
 * A master killed by a signal runs no exit hook and leaves its directory
 * behind: the directory names carry the master's pid, and each new hub removes
 * those of masters that no longer run. A pid that is alive (ours, or reused by
 * anything) is left alone, so this only ever errs towards keeping one.
 */
function sweepStaleDirs(tmp: string): void {
  let names: string[];
  try {
    names = readdirSync(tmp);
  } catch {
    return;
  }
  for (const name of names) {
    const m = /^drover-hub-(\d+)-/.exec(name);
    if (!m) continue;
    try {
      process.kill(Number(m[1]), 0);
      continue;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') continue;
    }
    rmSync(path.join(tmp, name), { recursive: true, force: true });
  }
}

/** Socket directories to remove if the process exits without close(). */
const liveDirs = new Set<string>();
let exitHookInstalled = false;
function removeDirsOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
  });
}

/** A new private directory for one hub's socket (stale ones of dead masters are swept first). */
export function createHubDir(): string {
  sweepStaleDirs(os.tmpdir());
  const dir = mkdtempSync(path.join(os.tmpdir(), `${DIR_PREFIX}${process.pid}-`));
  liveDirs.add(dir);
  removeDirsOnExit();
  return dir;
}

export function removeHubDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  liveDirs.delete(dir);
}
