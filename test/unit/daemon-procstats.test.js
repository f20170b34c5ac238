// The daemon's /proc sampler (daemon/procstats.ts): a kept /proc/<pid>/stat
// descriptor per sampled pid, re-read with one pread, closed when its process
// is gone or the pid is pruned.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readlinkSync } from 'node:fs';
import { procStats, pruneSamples } from '../../dist/daemon/procstats.js';

const linux = process.platform === 'linux';

/** How many descriptors this process holds open on /proc/<pid>/stat. */
function statFds(pid) {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === `/proc/${pid}/stat`;
    } catch {
      return false;
    }
  }).length;
}
const holdsStat = (pid) => statFds(pid) > 0;

/**
 * A node process that has run its first line: right after the exec that
 * spawn() waits for, the new image may not have touched a page yet (RSS 0 in
 * /proc/<pid>/stat; seen 1 run in 3 under load).
 */
async function sleeper(t) {
  const child = spawn(process.execPath, ['-e', "process.stdout.write('up'); setInterval(() => {}, 1000)"], { stdio: ['ignore', 'pipe', 'ignore'] });
  t.after(() => child.kill('SIGKILL'));
  await once(child.stdout, 'data');
  return child;
}

test('a live process: memory and CPU from one kept descriptor, read again without reopening', { skip: !linux }, async (t) => {
  const child = await sleeper(t);
  const first = procStats(child.pid);
  assert.ok(first && first.memory > 0 && first.cpu >= 0, JSON.stringify(first));
  assert.ok(holdsStat(child.pid), 'the descriptor is kept');
  const again = procStats(child.pid);
  assert.ok(again && again.memory > 0);
  assert.equal(statFds(child.pid), 1, 'one descriptor per pid');
  pruneSamples(new Set());
  assert.ok(!holdsStat(child.pid), 'pruned: closed');
});

test('a process that exited: no stats, and its descriptor is closed', { skip: !linux }, async (t) => {
  const child = await sleeper(t);
  assert.ok(procStats(child.pid));
  assert.ok(holdsStat(child.pid));
  child.kill('SIGKILL');
  await once(child, 'exit'); // reaped: the pid is free, the kept descriptor now fails (ESRCH)
  assert.equal(procStats(child.pid), undefined);
  assert.ok(!holdsStat(child.pid));
});

test('pids that never existed and undefined: no stats, nothing kept', { skip: !linux }, () => {
  assert.equal(procStats(undefined), undefined);
  assert.equal(procStats(2 ** 22 + 12345), undefined);
  assert.ok(!holdsStat(2 ** 22 + 12345));
});
