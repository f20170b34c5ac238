// Tree tracking by cgroup (issue 15, option treeTracking): each worker goes
// into a cgroup of the app's own, so a grandchild that clears its environment
// (env -i, losing the DROVER_TREE mark) and setsid()s away is still killed at
// stop, and the cgroup is removed. The mark alone misses it (shown below). When
// the master is SIGKILLed, its group guard sweeps the cgroup; a cgroup left
// anyway (the guard killed too) is swept by the app's next master at start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fixture, ROOT, runDrover } from '../helpers/drover.js';
import { escapeDir, identify, isAlive, killTree } from '../helpers/procs.js';
import { waitFor } from '../helpers/wait.js';

const { createAppCgroup } = await import(path.join(ROOT, 'dist/platform/cgroup.js'));

/** Why the cgroup tests cannot run here, or false: a probe cgroup is made and removed at once. */
async function noCgroup() {
  if (process.platform !== 'linux') return 'cgroups are Linux only';
  const made = createAppCgroup(`probe-${process.pid}`);
  if (!made.ok) return `no cgroup can be made here: ${made.reason}`;
  await made.cgroup.close();
  return false;
}
const skip = await noCgroup();
if (skip) console.log(`# tree-cgroup: skipped: ${skip}`);

/** The app cgroups a test's masters made are killed and removed after it, also when it fails. */
function removeCgroupsAfter(t, d) {
  t.after(async () => {
    for (const e of d.events('tree-tracking')) {
      if (e.using !== 'cgroup' || !existsSync(e.cgroup)) continue;
      const { AppCgroup } = await import(path.join(ROOT, 'dist/platform/cgroup.js'));
      await new AppCgroup(e.kind, e.cgroup).close();
    }
  });
}

const procsOf = (dir) => readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);

test('--tree-tracking cgroup: a grandchild that ran `env -i` and setsid is killed at stop; the cgroup is removed', { skip }, async (t) => {
  const { dir, escaped } = escapeDir(t);
  const d = runDrover(t, [fixture('harden/escape-env-i.js'), '-i', '2', '--tree-tracking', 'cgroup'], { env: { PORT: '0', ESCAPE_DIR: dir } });
  removeCgroupsAfter(t, d);
  await d.ready();
  const [tracking] = d.events('tree-tracking');
  assert.equal(tracking.using, 'cgroup', JSON.stringify(tracking));
  const kids = await waitFor(() => (escaped().length === 2 ? escaped() : undefined), { message: 'two escaped grandchildren' });
  for (const k of kids) assert.ok(isAlive(k), 'the grandchild runs');
  // No mark on them: only the cgroup knows them.
  for (const k of kids) assert.doesNotMatch(readFileSync(`/proc/${k.pid}/environ`, 'latin1'), /DROVER_TREE=/);
  const inside = procsOf(tracking.cgroup);
  for (const pid of [...d.liveWorkerPids(), ...kids.map((k) => k.pid)]) assert.ok(inside.includes(pid), `pid ${pid} in ${tracking.cgroup}: ${inside}`);
  d.signal('SIGTERM');
  assert.equal((await d.wait()).code, 0);
  assert.deepEqual(kids.filter((k) => isAlive(k)).map((k) => k.pid), [], 'escaped grandchildren survived the stop');
  assert.ok(d.records.some((r) => r.event === 'orphans-killed' && kids.every((k) => r.pids.includes(k.pid))), 'the sweep is logged');
  assert.equal(existsSync(tracking.cgroup), false, 'the app cgroup is removed');
  await d.assertNothingLeft();
});

test('--tree-tracking env: the same grandchild outlives the stop (what the mark cannot catch)', { skip }, async (t) => {
  const { dir, escaped } = escapeDir(t);
  const d = runDrover(t, [fixture('harden/escape-env-i.js'), '-i', '1', '--tree-tracking', 'env'], { env: { PORT: '0', ESCAPE_DIR: dir } });
  removeCgroupsAfter(t, d);
  await d.ready();
  assert.deepEqual(d.events('tree-tracking'), [], 'no cgroup in env mode');
  const [kid] = await waitFor(() => (escaped().length === 1 ? escaped() : undefined), { message: 'the escaped grandchild' });
  d.signal('SIGTERM');
  assert.equal((await d.wait()).code, 0);
  assert.ok(isAlive(kid), 'the env -i grandchild survives a mark-only stop (escapeDir kills it)');
});

test("a master SIGKILLed: its group guard kills what is in the app's cgroup and removes it", { skip }, async (t) => {
  const { dir, escaped } = escapeDir(t);
  const d = runDrover(t, [fixture('harden/escape-env-i.js'), '-i', '1'], { env: { PORT: '0', ESCAPE_DIR: dir } });
  removeCgroupsAfter(t, d);
  await d.ready();
  const [tracking] = d.events('tree-tracking');
  assert.equal(tracking.using, 'cgroup', 'auto picks a cgroup where one can be made');
  const [kid] = await waitFor(() => (escaped().length === 1 ? escaped() : undefined), { message: 'the escaped grandchild' });
  d.signal('SIGKILL');
  await d.wait();
  await waitFor(() => !isAlive(kid) && !existsSync(tracking.cgroup), { message: 'the grandchild killed and the cgroup removed by the guard' });
});

test("a leftover app cgroup of a dead master (its guard gone too) is swept by the app's next master", { skip }, async (t) => {
  const { AppCgroup } = await import(path.join(ROOT, 'dist/platform/cgroup.js'));
  const name = `cg-left-${process.pid}`;
  // A pid no process has any more: a child that has exited.
  const gone = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => gone.on('exit', resolve));
  const probe = createAppCgroup(`probe-${process.pid}`);
  assert.ok(probe.ok, probe.reason);
  const base = path.dirname(probe.cgroup.dir);
  await probe.cgroup.close();
  const left = new AppCgroup(probe.cgroup.kind, path.join(base, `drover-${name.replace(/-/g, '_')}-${gone.pid}.left`));
  mkdirSync(left.dir);
  t.after(() => left.close());
  const sleeper = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { detached: true, stdio: 'ignore' });
  const proc = identify(sleeper.pid);
  t.after(() => isAlive(proc) && killTree(proc));
  assert.equal(left.add(sleeper.pid), true);

  const d = runDrover(t, [fixture('big-send.js'), '-i', '1', '--name', name], { env: { PORT: '0' } });
  removeCgroupsAfter(t, d);
  await d.ready();
  await waitFor(() => !isAlive(proc) && !existsSync(left.dir), { message: "the dead master's cgroup swept by the next one" });
  assert.ok(d.records.some((r) => r.event === 'orphans-killed' && r.cgroup === left.dir && r.pids.includes(sleeper.pid)), 'the sweep is logged');
  d.signal('SIGTERM');
  assert.equal((await d.wait()).code, 0);
});

// The v1 paths (freeze, SIGKILL every pid, thaw; pids: kill in rounds), by hiding the
// hierarchies that come first from the probe. Where this host has no such hierarchy, skipped.
for (const [kind, hide] of [['v1-freezer', /cgroup2/], ['v1-pids', /cgroup2|freezer/]]) {
  test(`${kind}: a process placed in the app cgroup and its setsid child are killed at close; the cgroup is removed`, { skip }, async (t) => {
    const { AppCgroup } = await import(path.join(ROOT, 'dist/platform/cgroup.js'));
    const mountinfo = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => !hide.test(l)).join('\n');
    const made = createAppCgroup(`probe-${kind}-${process.pid}`, { mountinfo });
    if (!made.ok || made.cgroup.kind !== kind) return t.skip(`no writable ${kind} hierarchy here: ${made.ok ? made.cgroup.kind : made.reason}`);
    t.after(() => new AppCgroup(made.cgroup.kind, made.cgroup.dir).close());
    // A parent that starts a detached (setsid) child ignoring SIGTERM, then reports it.
    const script = "const c=require('child_process').spawn(process.execPath,['-e','process.on(\"SIGTERM\",()=>{});setInterval(()=>{},1000)'],{detached:true,stdio:'ignore'});console.log(c.pid);setInterval(()=>{},1000)";
    const parent = spawn(process.execPath, ['-e', `setTimeout(()=>{${script}},300)`], { stdio: ['ignore', 'pipe', 'ignore'] });
    t.after(() => parent.kill('SIGKILL'));
    assert.equal(made.cgroup.add(parent.pid), true);
    let out = '';
    parent.stdout.on('data', (c) => (out += c));
    const childPid = await waitFor(() => (/^\d+\n/.test(out) ? Number(out) : undefined), { message: 'the setsid child' });
    const child = identify(childPid);
    t.after(() => isAlive(child) && killTree(child));
    assert.ok(made.cgroup.pids().includes(childPid), 'the child started inside the cgroup');
    const { killed, removed } = await made.cgroup.close();
    assert.ok(killed.includes(childPid) && killed.includes(parent.pid), JSON.stringify(killed));
    assert.equal(removed, true);
    assert.equal(existsSync(made.cgroup.dir), false);
    await waitFor(() => !isAlive(child), { message: 'the setsid child gone' });
  });
}
