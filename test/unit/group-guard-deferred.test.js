// The process-group guard (runtime/group-guard.ts) starts after the forks of
// the turn that first needs it, not inside that turn: a spawn blocks until the
// child has exec'd, and the guard's fork sat on every start's path to its
// first worker (issue 17). The lines written before it ran still reach it:
// at end-of-file it kills the group it was told of.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { GroupGuard } from '../../dist/runtime/group-guard.js';
import { childrenOf } from '../helpers/procs.js';
import { waitFor } from '../helpers/wait.js';

const shells = () => childrenOf(process.pid).filter((pid) => {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('/bin/sh');
  } catch {
    return false;
  }
});

test('the guard starts on a microtask after its first line, with every line of that turn', async (t) => {
  const victim = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
  let exited = false;
  victim.on('exit', () => (exited = true));
  t.after(() => {
    if (!exited) process.kill(-victim.pid, 'SIGKILL');
  });
  await waitFor(() => victim.pid !== undefined, { message: 'the sleep process' });
  const guard = new GroupGuard();
  t.after(() => guard.close());
  guard.add(victim.pid);
  guard.add(999_999_999); // a second line in the same turn (no such group: kill fails quietly)
  assert.deepEqual(shells(), [], 'no guard yet within the turn that wrote its first line');
  await waitFor(() => shells().length === 1, { message: 'the guard process' });
  // End-of-file: the guard kills the groups it was told of, so the buffered line reached it.
  guard.close();
  await waitFor(() => exited, { message: 'the guard to kill the group it was told of at end-of-file', timeoutMs: 10_000 });
});

test('closed before it started: no guard at all', async () => {
  const guard = new GroupGuard();
  guard.add(999_999_998);
  guard.close();
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(shells(), []);
});
