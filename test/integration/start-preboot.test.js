// The pre-booted worker (runtime/preboot.ts, worker/preboot.ts): an app master
// that waits for its app forks its first worker's process in advance; the
// start hands it the app's environment, cwd and argv. Node arguments make the
// start fall back to a fresh fork, and a pre-booted process that is not used
// ends (with its master, at the latest).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { APP, daemonPid, describe, makeHome, ok, processesOf, request, waitFor } from '../helpers/daemon.js';
import { fixture } from '../helpers/paths.js';

const linux = process.platform !== 'linux' && 'needs /proc';
const PROBE = fixture('preboot-probe.cjs');
const cmdline = (pid) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1');
  } catch {
    return '';
  }
};
const ppid = (pid) => {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]);
};
const isPreboot = (pid) => cmdline(pid).includes('worker/preboot.js');

async function seen(home, app) {
  const d = await describe(home, app);
  const res = await request({ port: d.ports[0] });
  assert.equal(res.status, 200, res.body);
  return { d, seen: JSON.parse(res.body) };
}

function workDir(t) {
  const dir = mkdtempSync(path.join(tmpdir(), 'drover-preboot-cwd-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test("a warm start's first worker is the pre-booted process, with the app's env, cwd, argv and execArgv", { skip: linux }, async (t) => {
  const home = makeHome(t);
  await ok(home, ['start', APP, '--name', 'first'], { env: { PORT: '0' } }); // cold: starts the daemon
  const cwd = workDir(t);
  await ok(home, ['start', PROBE, '--name', 'probe', '-i', '2', '--cwd', cwd, '--', 'one', 'two'], { env: { PORT: '0', PROBE_VALUE: 'from-the-cli', DROVER_PREBOOT_WORKER: '1' } });
  const { d } = await seen(home, 'probe');
  const byWorker = new Map();
  // Both workers answer; ask until each was seen (the balancer alternates).
  await waitFor(async () => {
    const res = await request({ port: d.ports[0] });
    const s = JSON.parse(res.body);
    byWorker.set(s.pid, s);
    return byWorker.size >= 2;
  }, { message: 'both workers to answer' });
  const prebooted = [...byWorker.values()].filter((s) => isPreboot(s.pid));
  assert.equal(prebooted.length, 1, `one worker is the pre-booted process: ${[...byWorker.keys()].map((p) => `${p}: ${cmdline(p).replaceAll('\0', ' ')}`).join('; ')}`);
  const fresh = [...byWorker.values()].find((s) => !isPreboot(s.pid));
  for (const s of [prebooted[0], fresh]) {
    assert.deepEqual(s.argv, [PROBE, 'one', 'two']);
    assert.equal(s.cwd, cwd);
    assert.equal(s.probe, 'from-the-cli');
    assert.equal(s.isMain, true);
    assert.equal(s.mainFilename, PROBE);
    assert.equal(s.execArgv[0], '--require');
    assert.match(s.execArgv[1], /cjs\/worker\/preload\.js$/);
  }
  // The same app as a fresh fork would see, but for its own pid and worker id.
  const strip = (s) => ({ ...s, pid: 0, workerId: null });
  assert.deepEqual(strip(prebooted[0]), strip(fresh));
  assert.deepEqual(new Set([prebooted[0].workerId, fresh.workerId]), new Set(['0', '1']));
});

test('node arguments: a fresh fork, and the unused pre-booted process ends', { skip: linux }, async (t) => {
  const home = makeHome(t);
  await ok(home, ['start', APP, '--name', 'first'], { env: { PORT: '0' } });
  await ok(home, ['start', PROBE, '--name', 'flags', '--node-args', '--no-warnings'], { env: { PORT: '0', DROVER_PREBOOT_WORKER: '1' } });
  const { d, seen: s } = await seen(home, 'flags');
  assert.equal(isPreboot(s.pid), false, `worker ${s.pid} is a fresh fork: ${cmdline(s.pid)}`);
  assert.ok(s.execArgv.includes('--no-warnings'), JSON.stringify(s.execArgv));
  // The master's pre-booted process was ended after the start's forks.
  await waitFor(() => processesOf(home).filter((pid) => isPreboot(pid) && ppid(pid) === d.master.pid).length === 0, { message: 'the unused pre-booted process to end' });
  // Not opted in (the default): the first app's workers are fresh forks.
  const firstWorkers = (await describe(home, 'first')).workers;
  for (const w of firstWorkers) assert.equal(isPreboot(w.pid), false, `default start: worker ${w.pid} is a fresh fork: ${cmdline(w.pid)}`);
  // Nothing pre-booted is left but workers: this one ended its own.
  const workers = new Set([...firstWorkers, ...d.workers].map((w) => w.pid));
  await waitFor(() => processesOf(home).filter((pid) => isPreboot(pid) && !workers.has(pid)).length === 0, { message: 'no idle pre-booted process' });
});

test("an idle spare master's pre-booted process ends with its master", { skip: linux }, async (t) => {
  const home = makeHome(t);
  await ok(home, ['start', APP, '--name', 'first'], { env: { PORT: '0', DROVER_SPARE_MASTER: '1' } });
  const daemon = daemonPid(home);
  const first = await describe(home, 'first');
  const used = new Set(first.workers.map((w) => w.pid));
  // The daemon's spare master (its child, no app) and the process it pre-booted.
  let spare;
  let pre;
  await waitFor(() => {
    const pids = processesOf(home);
    spare = pids.find((pid) => pid !== first.master.pid && ppid(pid) === daemon && cmdline(pid).includes('app-master.js'));
    pre = spare && pids.find((pid) => ppid(pid) === spare && isPreboot(pid) && !used.has(pid));
    return pre !== undefined;
  }, { message: "the spare master's pre-booted process" });
  process.kill(spare, 'SIGKILL');
  await waitFor(() => !processesOf(home).includes(pre), { message: `pre-booted ${pre} to end with its master ${spare}` });
});
