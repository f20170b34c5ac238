// Where an app cgroup may go (platform/cgroup-find.ts): parsed from mountinfo
// and /proc/self/cgroup text of a pure v2 host, a hybrid host (v1 + v2 at
// unified/) and a container that sees a sub-tree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { anyMasterOf, appCgroupName, cgroupBases, masterOf } from '../../dist/platform/cgroup-find.js';

const HYBRID_MOUNTS = [
  '30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
  '31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu',
  '36 30 0:33 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer',
  '38 30 0:35 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids',
  '40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
].join('\n');

test('a hybrid host: v2 at unified/ first, then freezer, then pids, each under our own cgroup', () => {
  const own = '8:pids:/a\n6:freezer:/b\n1:cpu:/\n0::/user.slice/x.service\n';
  assert.deepEqual(cgroupBases(HYBRID_MOUNTS, own), [
    { kind: 'v2', dir: '/sys/fs/cgroup/unified/user.slice/x.service' },
    { kind: 'v1-freezer', dir: '/sys/fs/cgroup/freezer/b' },
    { kind: 'v1-pids', dir: '/sys/fs/cgroup/pids/a' },
  ]);
  // At the root of each hierarchy.
  assert.deepEqual(
    cgroupBases(HYBRID_MOUNTS, '8:pids:/\n6:freezer:/\n0::/\n').map((b) => b.dir),
    ['/sys/fs/cgroup/unified', '/sys/fs/cgroup/freezer', '/sys/fs/cgroup/pids'],
  );
});

test('pure v2, a mounted sub-tree, and paths outside the mount are handled', () => {
  const v2 = '25 1 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate';
  assert.deepEqual(cgroupBases(v2, '0::/system.slice/app.service\n'), [{ kind: 'v2', dir: '/sys/fs/cgroup/system.slice/app.service' }]);
  // A container whose mount shows only /docker/abc.
  const sub = '25 1 0:26 /docker/abc /sys/fs/cgroup rw - cgroup2 cgroup2 rw';
  assert.deepEqual(cgroupBases(sub, '0::/docker/abc/inner\n'), [{ kind: 'v2', dir: '/sys/fs/cgroup/inner' }]);
  assert.deepEqual(cgroupBases(sub, '0::/elsewhere\n'), []);
  // Above a cgroup namespace's root.
  assert.deepEqual(cgroupBases(v2, '0::/../x\n'), []);
  // Nothing mounted, nothing known.
  assert.deepEqual(cgroupBases('', ''), []);
});

test('app cgroup names: safe for a path, and found again by app name only', () => {
  assert.equal(appCgroupName('api', 123, 'ab12'), 'drover-api-123.ab12');
  assert.equal(appCgroupName('../a b-c', 7, 'f'), 'drover-.._a_b_c-7.f');
  assert.equal(masterOf('drover-api-123.ab12', 'api'), 123);
  assert.equal(masterOf('drover-api-123', 'api'), undefined);
  assert.equal(masterOf('drover-api-x.1', 'api'), undefined);
  assert.equal(masterOf('drover-api-v2-123.1', 'api'), undefined, "another app's (api-v2) cgroup");
  assert.equal(masterOf('drover-api_v2-123.1', 'api-v2'), 123);
  assert.equal(anyMasterOf('drover-web_x-42.ab'), 42);
  assert.equal(anyMasterOf('drover-web-42'), undefined);
  assert.equal(anyMasterOf('user.slice'), undefined);
});
