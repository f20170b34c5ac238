// The cgroup CPU quota behind `instances: 'max'`, read from fake /proc and
// /sys/fs/cgroup trees (the reader takes a root directory).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { availableCpus, cgroupCpuQuota } from '../../dist/platform/cpu-quota.js';
import { resolveInstances } from '../../dist/config/resolve.js';

function tree(t, files) {
  const root = mkdtempSync(path.join(tmpdir(), 'drover-cg-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }
  return root;
}

const V2_MOUNT = '30 22 0:27 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n';

test('cgroup v2: cpu.max of the own cgroup, rounded up, capped by the cores', (t) => {
  const root = tree(t, {
    'proc/self/cgroup': '0::/kubepods/pod1/ctr\n',
    'proc/self/mountinfo': V2_MOUNT,
    'sys/fs/cgroup/kubepods/pod1/ctr/cpu.max': '150000 100000\n',
  });
  assert.equal(cgroupCpuQuota(root), 1.5);
  assert.equal(availableCpus({ root, cores: 64 }), 2);
  assert.equal(availableCpus({ root, cores: 1 }), 1);
});

test('cgroup v2: "max" means no quota; a parent quota caps the child; the smallest wins', (t) => {
  const root = tree(t, {
    'proc/self/cgroup': '0::/pod/ctr\n',
    'proc/self/mountinfo': V2_MOUNT,
    'sys/fs/cgroup/pod/ctr/cpu.max': 'max 100000\n',
    'sys/fs/cgroup/pod/cpu.max': '200000 100000\n',
    'sys/fs/cgroup/cpu.max': '400000 100000\n',
  });
  assert.equal(cgroupCpuQuota(root), 2);
  assert.equal(availableCpus({ root, cores: 64 }), 2);
});

test('no quota anywhere, no cgroup files, or no /proc: the cores', (t) => {
  const none = tree(t, { 'proc/self/cgroup': '0::/\n', 'proc/self/mountinfo': V2_MOUNT, 'sys/fs/cgroup/cpu.max': 'max 100000\n' });
  assert.equal(cgroupCpuQuota(none), undefined);
  assert.equal(availableCpus({ root: none, cores: 8 }), 8);
  const empty = tree(t, { 'x': '' });
  assert.equal(availableCpus({ root: empty, cores: 3 }), 3);
});

test('a tiny quota still gives one worker', (t) => {
  const root = tree(t, { 'proc/self/cgroup': '0::/a\n', 'proc/self/mountinfo': V2_MOUNT, 'sys/fs/cgroup/a/cpu.max': '10000 100000\n' });
  assert.equal(cgroupCpuQuota(root), 0.1);
  assert.equal(availableCpus({ root, cores: 4 }), 1);
});

test('cgroup v1 (cpu,cpuacct hierarchy): cfs_quota_us / cfs_period_us; -1 means none', (t) => {
  const root = tree(t, {
    'proc/self/cgroup': '12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n0::/\n',
    'proc/self/mountinfo': '31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n34 30 0:31 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n',
    'sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us': '300000\n',
    'sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us': '100000\n',
    'sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us': '-1\n',
    'sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us': '100000\n',
  });
  assert.equal(cgroupCpuQuota(root), 3);
  assert.equal(availableCpus({ root, cores: 2 }), 2);
  assert.equal(availableCpus({ root, cores: 16 }), 3);
});

test('a container without a cgroup namespace: its full path below a mount whose root is that path', (t) => {
  const root = tree(t, {
    'proc/self/cgroup': '0::/docker/abc\n',
    'proc/self/mountinfo': '30 22 0:27 /docker/abc /sys/fs/cgroup ro - cgroup2 cgroup2 rw\n',
    'sys/fs/cgroup/cpu.max': '100000 100000\n',
  });
  assert.equal(availableCpus({ root, cores: 8 }), 1);
});

test('mount points with escaped spaces; a cgroup path cannot climb out of its mount', (t) => {
  const root = tree(t, {
    'proc/self/cgroup': '0::/../../etc\n',
    'proc/self/mountinfo': '30 22 0:27 / /sys/fs/my\\040cg rw - cgroup2 cgroup2 rw\n',
    'sys/fs/my cg/etc/cpu.max': '100000 100000\n',
    'etc/cpu.max': '900000 100000\n',
  });
  assert.equal(cgroupCpuQuota(root), 1);
});

test('resolveInstances: "max" and negative counts against the given cores', () => {
  assert.equal(resolveInstances('max', 2), 2);
  assert.equal(resolveInstances(-1, 3), 2);
  assert.throws(() => resolveInstances(-2, 2), { code: 'DROVER_E_INVALID_OPTION' });
});
