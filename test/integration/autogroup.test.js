// Detached workers (each its own session) share one session's CPU weight under
// autogroup scheduling: each ready worker's autogroup gets nice 3 with 2 workers
// (a starting one keeps the default weight until it is ready).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { CLI, example, fixture, runDrover } from '../helpers/drover.js';
import { waitFor } from '../helpers/wait.js';

function autogroupsOn() {
  try {
    return readFileSync('/proc/sys/kernel/sched_autogroup_enabled', 'utf8').trim() === '1';
  } catch {
    return false;
  }
}
const skip = autogroupsOn() ? false : 'autogroup scheduling is off or not Linux (/proc/sys/kernel/sched_autogroup_enabled is not 1)';
// A process in the default (root) autogroup, one whose ancestors never called
// setsid after boot (seen in CI), reads an empty /proc/<pid>/autogroup.
const groupOf = (pid) => readFileSync(`/proc/${pid}/autogroup`, 'utf8');
function niceOf(pid) {
  const line = groupOf(pid);
  const m = /nice (-?\d+)/.exec(line);
  assert.ok(m, `pid ${pid} is not in an autogroup of its own (/proc/${pid}/autogroup: ${JSON.stringify(line)})`);
  return Number(m[1]);
}

test('2 workers: each worker session has autogroup nice 3; DROVER_AUTOGROUP=off leaves 0', { skip }, async (t) => {
  const d = runDrover(t, [example('hello.js'), '-i', '2'], { env: { PORT: '0' } });
  await d.ready();
  const pids = d.workerPids();
  assert.equal(pids.length, 2);
  for (const pid of pids) assert.equal(niceOf(pid), 3, `worker ${pid}`);
  assert.equal(groupOf(d.pid), groupOf(process.pid), 'the master keeps the autogroup it was started in');
  d.signal('SIGTERM');
  assert.equal((await d.wait()).code, 0);

  const off = runDrover(t, [example('hello.js'), '-i', '2'], { env: { PORT: '0', DROVER_AUTOGROUP: 'off' } });
  await off.ready();
  for (const pid of off.workerPids()) assert.equal(niceOf(pid), 0, `worker ${pid} with DROVER_AUTOGROUP=off`);
  off.signal('SIGTERM');
  assert.equal((await off.wait()).code, 0);
  await d.assertNothingLeft();
  await off.assertNothingLeft();
});

test('a starting worker keeps the default weight until it is ready, then gets nice 3 (issue 17: replacement time)', { skip }, async (t) => {
  const d = runDrover(t, [fixture('ready-on-signal.js'), '-i', '2', '--wait-ready'], { env: { PORT: '0' } });
  await d.waitEvent('listening', () => true, { count: 2 });
  const [a, b] = d.workerPids();
  assert.equal(niceOf(a), 0, `worker ${a} listens but is not ready`);
  assert.equal(niceOf(b), 0, `worker ${b} listens but is not ready`);
  process.kill(a, 'SIGUSR2');
  await d.waitEvent('ready', (e) => e.pid === a);
  await waitFor(() => niceOf(a) === 3, { timeoutMs: 5_000, message: `worker ${a} at nice 3 once ready (now ${niceOf(a)})` });
  assert.equal(niceOf(b), 0, `worker ${b} is still not ready`);
  process.kill(b, 'SIGUSR2');
  await d.ready();
  await waitFor(() => niceOf(b) === 3, { timeoutMs: 5_000, message: `worker ${b} at nice 3 once ready (now ${niceOf(b)})` });

  // A replacement after a crash boots at the default weight as well, and is weighed once ready.
  process.kill(a, 'SIGKILL');
  const fork = await d.waitEvent('fork', (e) => e.pid !== a && e.pid !== b);
  await d.waitEvent('listening', (e) => e.pid === fork.pid);
  assert.equal(niceOf(fork.pid), 0, `replacement ${fork.pid} before it is ready`);
  process.kill(fork.pid, 'SIGUSR2');
  await d.waitEvent('ready', (e) => e.pid === fork.pid);
  await waitFor(() => niceOf(fork.pid) === 3, { timeoutMs: 5_000, message: `replacement ${fork.pid} at nice 3 once ready (now ${niceOf(fork.pid)})` });
  d.signal('SIGTERM');
  assert.equal((await d.wait()).code, 0);
  await d.assertNothingLeft();
});

test('scale 2 -> 4: every worker is re-weighed to nice 6; back to 2: the two left are at nice 3 again', { skip }, async (t) => {
  const d = runDrover(t, [example('hello.js'), '-i', '2'], { env: { PORT: '0' } });
  await d.ready();
  d.signal('SIGTTIN');
  await d.waitEvent('scale');
  d.signal('SIGTTIN');
  await d.waitEvent('scale', () => true, { count: 2 });
  await d.waitEvent('ready', () => true, { count: 4 });
  const pids = d.workerPids();
  assert.equal(pids.length, 4);
  for (const pid of pids) assert.equal(niceOf(pid), 6, `worker ${pid}`);

  d.signal('SIGTTOU');
  await d.waitEvent('scale', () => true, { count: 3 });
  d.signal('SIGTTOU');
  await d.waitEvent('scale', () => true, { count: 4 });
  await d.waitEvent('exit', () => true, { count: 2 });
  const left = d.liveWorkerPids();
  assert.equal(left.length, 2);
  for (const pid of left) assert.equal(niceOf(pid), 3, `worker ${pid} after scaling back to 2`);
  d.signal('SIGTERM');
  assert.equal((await d.wait()).code, 0);
  await d.assertNothingLeft();
});

// Without CAP_SYS_ADMIN the kernel accepts one autogroup write per 100 ms (EAGAIN
// before), so the 4 writes of a start cannot all go through at once.
const SETPRIV = '/usr/bin/setpriv';
const NOBODY = [SETPRIV, '--reuid=65534', '--regid=65534', '--clear-groups'];
function whyNotAsNobody() {
  if (skip) return skip;
  if (process.getuid?.() !== 0) return 'needs root to start drover as another user (uid 65534)';
  if (!existsSync(SETPRIV)) return `${SETPRIV} is missing`;
  // The checkout may sit in a directory other users cannot enter (e.g. under /root).
  const probe = spawnSync(NOBODY[0], [...NOBODY.slice(1), process.execPath, '-e', `require('fs').accessSync(${JSON.stringify(CLI)}, require('fs').constants.R_OK)`], { stdio: 'ignore', timeout: 10_000 });
  return probe.status === 0 ? false : `uid 65534 cannot read ${CLI} (the checkout is not readable by other users)`;
}
const asNobody = whyNotAsNobody();

test('unprivileged master (uid 65534): 4 workers all reach nice 6 though the kernel takes one write per 100 ms', { skip: asNobody }, async (t) => {
  const d = runDrover(t, [example('hello.js'), '-i', '4'], { env: { PORT: '0' }, wrap: NOBODY });
  await d.ready();
  const pids = d.workerPids();
  assert.equal(pids.length, 4);
  assert.equal(readFileSync(`/proc/${d.pid}/status`, 'utf8').match(/^Uid:\s+(\d+)/m)[1], '65534', 'the master runs as uid 65534');
  await waitFor(() => pids.every((pid) => niceOf(pid) === 6), { timeoutMs: 5_000, message: `all 4 workers at nice 6 (now ${pids.map(niceOf).join(', ')})` });
  d.signal('SIGTERM');
  assert.equal((await d.wait()).code, 0);
  await d.assertNothingLeft();
});
