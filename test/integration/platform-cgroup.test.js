// `drover run -i max` inside a cgroup whose CPU quota is 1 CPU starts one
// worker, on any machine with more cores. Needs a cgroup it can create (root
// with a writable cgroup v2 tree with the cpu controller, or a v1 cpu
// hierarchy); skipped with the reason otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fixture, runDrover } from '../helpers/drover.js';
import { waitFor } from '../helpers/wait.js';

/** A new cgroup limited to 1 CPU, or the reason there can be none. */
function makeCgroup() {
  const name = `drover-test-${process.pid}`;
  const errors = [];
  const v2 = '/sys/fs/cgroup';
  if (existsSync(path.join(v2, 'cgroup.controllers'))) {
    try {
      // The machine's cgroup setup is not the test's to change: without the cpu controller delegated, skip.
      if (!readFileSync(path.join(v2, 'cgroup.subtree_control'), 'utf8').split(/\s+/).includes('cpu')) throw new Error('the cpu controller is not enabled in /sys/fs/cgroup/cgroup.subtree_control');
      const dir = path.join(v2, name);
      mkdirSync(dir);
      writeFileSync(path.join(dir, 'cpu.max'), '100000 100000');
      return { dir };
    } catch (err) {
      errors.push(`cgroup v2: ${err.message}`);
    }
  }
  for (const v1 of ['/sys/fs/cgroup/cpu', '/sys/fs/cgroup/cpu,cpuacct']) {
    if (!existsSync(path.join(v1, 'cpu.cfs_quota_us'))) continue;
    try {
      const dir = path.join(v1, name);
      mkdirSync(dir);
      writeFileSync(path.join(dir, 'cpu.cfs_period_us'), '100000');
      writeFileSync(path.join(dir, 'cpu.cfs_quota_us'), '100000');
      return { dir };
    } catch (err) {
      errors.push(`cgroup v1 ${v1}: ${err.message}`);
    }
  }
  return { reason: errors.length > 0 ? errors.join('; ') : 'no cgroup tree with the cpu controller under /sys/fs/cgroup' };
}

const cores = availableParallelism();
const cg = process.platform !== 'linux' ? { reason: 'not Linux' } : cores < 2 ? { reason: `only ${cores} core: 1 worker either way` } : makeCgroup();
if (cg.reason) process.stderr.write(`# skipping the cgroup quota test: ${cg.reason}\n`);

test('-i max under a 1-CPU cgroup quota starts 1 worker (the machine has more cores)', { skip: cg.reason }, async (t) => {
  t.after(async () => {
    // The cgroup can be removed only once every process in it has exited.
    await waitFor(
      () => {
        try {
          rmdirSync(cg.dir);
          return true;
        } catch (err) {
          return err.code === 'ENOENT';
        }
      },
      { timeoutMs: 10_000, message: `cgroup ${cg.dir} to be empty` },
    ).catch(() => {});
  });
  const drover = runDrover(t, [fixture('whoami.js'), '-i', 'max'], { wrap: ['python3', fixture('platform/in-cgroup.py'), path.join(cg.dir, 'cgroup.procs')] });
  await drover.ready();
  const started = drover.events('started')[0];
  assert.equal(started.workers, 1, `workers started: ${JSON.stringify(started)}`);
  assert.equal(drover.workerPids().length, 1);
  assert.ok(readFileSync(path.join(cg.dir, 'cgroup.procs'), 'utf8').split('\n').includes(String(drover.pid)), 'the master runs in the test cgroup');
  drover.signal('SIGTERM');
  assert.equal((await drover.wait()).code, 0);
  await drover.assertNothingLeft();
});
