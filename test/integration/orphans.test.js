// No orphans: when the master dies, even by SIGKILL, every worker and every
// process a worker started is gone within 1 s (the bound the issue states).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture, runDrover } from '../helpers/drover.js';
import { assertAllGone, reportedChildren } from '../helpers/procs.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

const BOUND_MS = 1_000;

/** Runs the app with CHILD_PID_DIR set; returns the drover process and the children its workers reported. */
async function startWithChildren(t, args) {
  const dir = tempDir(t, 'drover-test-');
  const d = runDrover(t, args, { env: { PORT: '0', CHILD_PID_DIR: dir } });
  await d.ready();
  const children = await reportedChildren(t, dir, 2);
  for (const child of children) d.track(child.pid);
  return { d, children };
}

async function killMasterAndCheck(d, children) {
  const workers = d.workerPids().map((pid) => d.tracked.get(pid));
  process.kill(d.pid, 'SIGKILL');
  // One deadline for all: everything must be gone BOUND_MS after the kill.
  const deadline = Date.now() + BOUND_MS;
  await assertAllGone(workers, { timeoutMs: BOUND_MS, what: 'workers' });
  await assertAllGone(children, { timeoutMs: Math.max(0, deadline - Date.now()), what: 'children of workers' });
  await d.assertNothingLeft();
}

test('master SIGKILL: node workers and their children are gone within 1 s', async (t) => {
  const { d, children } = await startWithChildren(t, [fixture('spawn-child.js'), '-i', '2']);
  await killMasterAndCheck(d, children);
});

test('master SIGKILL: exec-mode workers and their children are gone within 1 s', async (t) => {
  const { d, children } = await startWithChildren(t, [fixture('exec-app.sh'), '-i', '2']);
  await killMasterAndCheck(d, children);
});

test('master SIGKILL: a worker whose event loop is blocked is gone within 1 s', async (t) => {
  const d = runDrover(t, [fixture('blocked-loop.js')], { env: { PORT: '0' } });
  await d.ready();
  await waitFor(() => d.records.some((r) => r.fixture === 'blocked'), { message: 'the worker to block' });
  const workers = d.workerPids().map((pid) => d.tracked.get(pid));
  process.kill(d.pid, 'SIGKILL');
  await assertAllGone(workers, { timeoutMs: BOUND_MS, what: 'the blocked worker' });
  assert.equal((await d.wait()).signal, 'SIGKILL');
  await d.assertNothingLeft();
});
