// The process-group guard (runtime/group-guard.ts) exists from the call that
// gives it its first line (or arm()), and it has that line in its argv: a
// master SIGKILLed right after that call, before any turn of its event loop,
// still has its groups killed. At end-of-file it kills the groups it was told
// of and not those removed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { GroupGuard } from '../../dist/runtime/group-guard.js';
import { childrenOf, isAlive } from '../helpers/procs.js';
import { waitFor } from '../helpers/wait.js';

const GUARD_JS = new URL('../../dist/runtime/group-guard.js', import.meta.url).href;

const shells = (ppid = process.pid) =>
  childrenOf(ppid).filter((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('/bin/sh');
    } catch {
      return false;
    }
  });

/** A `sleep 30` leading its own process group, killed after the test if still there. */
function victim(t) {
  const child = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
  const v = { pid: child.pid, exited: false };
  child.on('exit', () => (v.exited = true));
  t.after(() => {
    if (!v.exited) process.kill(-child.pid, 'SIGKILL');
  });
  return v;
}

test('the guard starts in the call with its first line, and kills that group at end-of-file', async (t) => {
  const v = victim(t);
  const guard = new GroupGuard();
  t.after(() => guard.close());
  guard.add(v.pid);
  assert.equal(shells().length, 1, 'the guard runs when add() returns');
  guard.close();
  await waitFor(() => v.exited, { message: 'the guard to kill the group it was told of', timeoutMs: 10_000 });
});

test('a master SIGKILLed right after its first add(): the guard has the group from its argv', async (t) => {
  const v = victim(t);
  // The "master": adds the group and SIGKILLs itself in the same turn, so no
  // write to the guard's pipe could have been flushed by its event loop.
  const master = spawn(process.execPath, ['--input-type=module', '-e', `
    import { GroupGuard } from ${JSON.stringify(GUARD_JS)};
    new GroupGuard().add(${v.pid});
    process.kill(process.pid, 'SIGKILL');
  `], { stdio: 'ignore' });
  t.after(() => master.kill('SIGKILL'));
  await waitFor(() => v.exited, { message: "the dead master's guard to kill the group", timeoutMs: 10_000 });
});

test("a pre-armed guard (an app master's first line) is taken by the supervisor; its pipe write is made in add()", async (t) => {
  const v = victim(t);
  const guards = "execFileSync('ps', ['-o', 'comm=', '--ppid', String(process.pid)]).toString().split('\\n').filter((c) => c === 'sh').length";
  const master = spawn(process.execPath, ['--input-type=module', '-e', `
    import { GroupGuard, prearmGroupGuard } from ${JSON.stringify(GUARD_JS)};
    prearmGroupGuard();
    const { execFileSync } = await import('node:child_process');
    const before = ${guards};
    const guard = new GroupGuard();
    guard.add(${v.pid});
    const after = ${guards};
    // One guard: the pre-armed one was taken, none spawned by add().
    if (before !== 1 || after !== 1) process.exit(3);
    process.kill(process.pid, 'SIGKILL');
  `], { stdio: 'ignore' });
  t.after(() => master.kill('SIGKILL'));
  const exit = await new Promise((resolve) => master.on('exit', (code, signal) => resolve({ code, signal })));
  assert.deepEqual(exit, { code: null, signal: 'SIGKILL' }, 'one guard process before and after add()');
  await waitFor(() => v.exited, { message: "the dead master's pre-armed guard to kill the group", timeoutMs: 10_000 });
});

test('arm() starts a guard with no group; a removed group is left alone, the others are killed', async (t) => {
  const kept = victim(t);
  const killed = victim(t);
  const guard = new GroupGuard();
  t.after(() => guard.close());
  guard.arm();
  const [pid] = shells();
  assert.ok(pid, 'arm() started the guard');
  guard.add(kept.pid);
  guard.add(killed.pid);
  guard.remove(kept.pid);
  assert.deepEqual(shells(), [pid], 'one guard for every line');
  guard.close();
  await waitFor(() => killed.exited && !isAlive(pid), { message: 'the guard to kill the listed group and exit', timeoutMs: 10_000 });
  assert.equal(kept.exited, false, 'the removed group was not signalled');
});

test('closed: the guard exits at end-of-file; no group, nothing killed', async () => {
  const guard = new GroupGuard();
  guard.arm();
  const [pid] = shells();
  guard.close();
  await waitFor(() => !isAlive(pid), { message: 'the guard to exit' });
});
