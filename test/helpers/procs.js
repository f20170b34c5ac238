// Process bookkeeping for integration tests: is a pid alive, end what a test
// started, and check that nothing is left.
//
// A zombie counts as dead: it runs no code and holds no socket, and in a
// container whose PID 1 does not reap, a reparented worker stays a zombie for
// ever. A pid is remembered with its start time (from /proc), so a pid the
// kernel hands to an unrelated process later is never mistaken for ours.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os, { constants as osConstants } from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { waitFor } from './wait.js';

const hasProc = (() => {
  try {
    readFileSync('/proc/self/stat');
    return true;
  } catch {
    return false;
  }
})();

/** { state, ppid, startTime } from /proc/<pid>/stat, or undefined when the pid does not exist. */
function procStat(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name is in parentheses and may contain spaces: split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0], ppid: Number(fields[1]), startTime: fields[19] };
}

/** Pids whose parent is `ppid` (Linux; empty elsewhere). */
export function childrenOf(ppid) {
  if (!hasProc) return [];
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name) && procStat(name)?.ppid === ppid)
    .map(Number);
}

/** An identity for a pid that survives pid reuse: the pid and its start time. */
export function identify(pid) {
  if (!hasProc) return { pid, startTime: undefined };
  return { pid, startTime: procStat(pid)?.startTime };
}

export function isAlive(proc) {
  const { pid, startTime } = typeof proc === 'number' ? { pid: proc, startTime: undefined } : proc;
  if (!hasProc) {
    try {
      process.kill(pid, 0);
      return true;
    } catch (err) {
      return err.code === 'EPERM';
    }
  }
  const stat = procStat(pid);
  if (!stat || stat.state === 'Z' || stat.state === 'X') return false;
  return startTime === undefined || stat.startTime === startTime;
}

/** Is the signal still pending for the process (not yet taken by its handler)? Linux only. */
export function signalPending(pid, signal) {
  if (!hasProc) return false;
  const bit = 1n << BigInt(osConstants.signals[signal] - 1);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return ['SigPnd', 'ShdPnd'].some((field) => {
    const m = new RegExp(`^${field}:\\s*([0-9a-f]+)$`, 'm').exec(status);
    return m !== null && (BigInt(`0x${m[1]}`) & bit) !== 0n;
  });
}

/** SIGKILL to a pid's process group (our workers lead their own) and to the pid itself. */
export function killTree(proc) {
  if (!isAlive(proc) && typeof proc !== 'number') {
    // The leader is gone, but members of its group may not be: the kernel does not
    // reuse a pid as long as a group with that id exists, so -pid is still ours.
    try {
      process.kill(-proc.pid, 'SIGKILL');
    } catch {}
    return;
  }
  const pid = typeof proc === 'number' ? proc : proc.pid;
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, 'SIGKILL');
    } catch {}
  }
}

/** Waits (up to timeoutMs) until none of the processes is alive; fails naming the survivors. */
export async function assertAllGone(procs, { timeoutMs = 5_000, what = 'processes' } = {}) {
  const list = procs.map((p) => (typeof p === 'number' ? { pid: p, startTime: undefined } : p));
  try {
    await waitFor(() => list.every((p) => !isAlive(p)), { timeoutMs, intervalMs: 10, message: `${what} to end` });
  } catch {
    const alive = list.filter((p) => isAlive(p)).map((p) => p.pid);
    assert.fail(`${what} still alive after ${timeoutMs} ms: pids ${alive.join(', ')}`);
  }
}

/**
 * The processes the workers of fixtures spawn-child.js and exec-app.sh start:
 * each worker writes its child's pid to a file in CHILD_PID_DIR. Waits for
 * `count` of them; they are killed after the test whatever happens.
 */
export async function reportedChildren(t, dir, count) {
  await waitFor(() => readdirSync(dir).length === count, { message: `${count} workers to report their child` });
  const children = readdirSync(dir).map((f) => identify(Number(readFileSync(path.join(dir, f), 'utf8').trim())));
  t.after(() => children.forEach((c) => killTree(c)));
  return children;
}

/**
 * A directory where escaping fixtures write their pids; what they name is
 * killed (tree and all) and the directory removed after the test, also when it fails.
 */
export function escapeDir(t) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'drover-escape-'));
  const escaped = () => readdirSync(dir).map((f) => identify(Number(readFileSync(path.join(dir, f), 'utf8'))));
  t.after(() => {
    for (const p of escaped()) if (isAlive(p)) killTree(p);
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, escaped };
}
