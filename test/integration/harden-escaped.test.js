// Grandchildren that escape into their own session (setsid) and ignore
// SIGTERM do not survive a stop (issue 15): the app's tree is marked
// (DROVER_TREE in the environment) and swept when the supervisor halts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture, runDrover } from '../helpers/drover.js';
import { escapeDir, isAlive } from '../helpers/procs.js';
import { waitFor } from '../helpers/wait.js';
import { makeHome, ok } from '../helpers/daemon.js';

const linuxOnly = process.platform !== 'linux' && 'the sweep reads /proc/<pid>/environ';

test('drover run --tree-tracking env: setsid grandchildren that ignore SIGTERM are gone after a stop (the mark)', { skip: linuxOnly }, async (t) => {
  const { dir, escaped } = escapeDir(t);
  const d = runDrover(t, [fixture('harden/escape-setsid.js'), '-i', '2', '--tree-tracking', 'env'], { env: { PORT: '0', ESCAPE_DIR: dir } });
  await d.ready();
  const kids = await waitFor(() => (escaped().length === 2 ? escaped() : undefined), { message: 'two escaped grandchildren' });
  for (const k of kids) assert.ok(isAlive(k), 'the grandchild runs');
  d.signal('SIGTERM');
  const { code } = await d.wait();
  assert.equal(code, 0);
  const left = kids.filter((k) => isAlive(k));
  assert.deepEqual(left.map((k) => k.pid), [], 'escaped grandchildren survived the stop');
  assert.ok(d.records.some((r) => r.event === 'orphans-killed' && r.pids.length === 2), 'the sweep is logged');
  await d.assertNothingLeft();
});

test('drover stop (daemon): setsid grandchildren are gone too', { skip: linuxOnly }, async (t) => {
  const { dir, escaped } = escapeDir(t);
  const home = makeHome(t);
  await ok(home, ['start', fixture('harden/escape-setsid.js'), '--name', 'esc'], { env: { PORT: '0', ESCAPE_DIR: dir } });
  const kids = await waitFor(() => (escaped().length === 1 ? escaped() : undefined), { message: 'the escaped grandchild' });
  await ok(home, ['stop', 'esc']);
  await waitFor(() => kids.every((k) => !isAlive(k)), { timeoutMs: 5_000, message: 'the escaped grandchild to be gone after drover stop' });
});
