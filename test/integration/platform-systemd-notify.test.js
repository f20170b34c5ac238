// `drover run` under systemd's notify protocol, against a fake NOTIFY_SOCKET
// (a python3 unix datagram receiver): the sequence systemd sees, the watchdog,
// and what workers inherit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fixture, runDrover } from '../helpers/drover.js';
import { notifyReceiver, notifySkipReason } from '../helpers/notify.js';
import { childrenOf } from '../helpers/procs.js';
import { waitFor } from '../helpers/wait.js';

const skip = notifySkipReason();
if (skip) process.stderr.write(`# skipping the systemd notify tests: ${skip}\n`);

/** A systemd-notify child that still runs (one that exited stays a zombie while its parent is stopped). */
const sendingNotify = (pid) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.includes('(systemd-notify)') && !/^[ZX]$/.test(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
  } catch {
    return false;
  }
};

test('READY=1 once the workers are ready, RELOADING=1 then READY=1 around a reload, WATCHDOG=1, STOPPING=1 on SIGTERM; workers inherit none of it', { skip }, async (t) => {
  const notify = await notifyReceiver(t);
  const drover = runDrover(t, [fixture('platform/env-report.js'), '-i', '2'], {
    env: { NOTIFY_SOCKET: notify.socket, WATCHDOG_USEC: '600000' },
  });
  await drover.ready();
  const ready = await notify.waitFor('READY', '1');
  const readyMsg = notify.messages[ready];
  assert.equal(readyMsg.fields.STATUS, '2/2 workers ready');
  assert.equal(readyMsg.fields.MAINPID, String(drover.pid), 'sent for the master');
  assert.ok(notify.messages.slice(0, ready).every((m) => m.fields.READY === undefined && m.fields.STOPPING === undefined));

  // The watchdog pings at half of WATCHDOG_USEC.
  const w1 = await notify.waitFor('WATCHDOG', '1', { from: ready });
  await notify.waitFor('WATCHDOG', '1', { from: w1 + 1 });

  drover.signal('SIGHUP');
  const reloading = await notify.waitFor('RELOADING', '1', { from: ready + 1 });
  const usec = BigInt(notify.messages[reloading].fields.MONOTONIC_USEC);
  const now = process.hrtime.bigint() / 1000n;
  assert.ok(usec <= now && now - usec < 60_000_000n, `MONOTONIC_USEC ${usec} is CLOCK_MONOTONIC (now ${now})`);
  const readyAgain = await notify.waitFor('READY', '1', { from: reloading + 1 });
  await drover.waitEvent('reloaded');
  assert.equal(notify.messages[readyAgain].fields.STATUS, '2/2 workers ready');

  const envs = drover.records.filter((r) => r.fixture === 'env');
  assert.ok(envs.length >= 4, `every worker reported (2 + 2 replacements): ${envs.length}`);
  for (const e of envs) assert.deepEqual(e.inherited, [], `worker ${e.pid} inherited ${e.inherited}`);

  drover.signal('SIGTERM');
  const stopping = await notify.waitFor('STOPPING', '1', { from: readyAgain + 1 });
  assert.ok(stopping > readyAgain);
  assert.equal((await drover.wait()).code, 0);
  await drover.assertNothingLeft();
});

test('a master whose event loop is blocked for twice the watchdog interval sends no WATCHDOG=1 meanwhile, and resumes after', { skip }, async (t) => {
  const notify = await notifyReceiver(t);
  const WATCHDOG_USEC = 1_000_000; // a ping every 500 ms
  const drover = runDrover(t, [fixture('whoami.js'), '-i', '1'], { env: { NOTIFY_SOCKET: notify.socket, WATCHDOG_USEC: String(WATCHDOG_USEC) } });
  t.after(() => drover.signal('SIGCONT'));
  await drover.ready();
  const first = await notify.waitFor('WATCHDOG', '1');
  await notify.waitFor('WATCHDOG', '1', { from: first + 1 });

  // A stopped process is the most blocked loop there is. A systemd-notify the
  // master spawned just before may still deliver: wait until none is left.
  drover.signal('SIGSTOP');
  await waitFor(() => !childrenOf(drover.pid).some(sendingNotify), { timeoutMs: 15_000, message: 'in-flight systemd-notify to finish' });
  const before = notify.messages.length;
  const blockedMs = (2 * WATCHDOG_USEC) / 1000;
  // The duration is what is tested here (two intervals without a ping), not a wait for something to happen.
  await new Promise((resolve) => setTimeout(resolve, blockedMs));
  const during = notify.messages.slice(before).filter((m) => m.fields.WATCHDOG === '1');
  assert.deepEqual(during, [], 'no WATCHDOG=1 while the master was blocked');

  drover.signal('SIGCONT');
  await notify.waitFor('WATCHDOG', '1', { from: before });
  drover.signal('SIGTERM');
  assert.equal((await drover.wait()).code, 0);
  await drover.assertNothingLeft();
});

test('a hung worker (its heartbeat overdue) stops the watchdog until its replacement is ready', { skip }, async (t) => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const path = await import('node:path');
  const dir = mkdtempSync(path.join(tmpdir(), 'drover-wd-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const notify = await notifyReceiver(t);
  const drover = runDrover(
    t,
    [fixture('platform/slow-replacement.js'), '-i', '1', '--heartbeat-interval-ms', '200', '--heartbeat-timeout-ms', '1500', '--kill-timeout-ms', '2000'],
    { env: { NOTIFY_SOCKET: notify.socket, WATCHDOG_USEC: '400000', PORT: '0', BOOT_MARK: path.join(dir, 'booted'), SLOW_MS: '4000' } },
  );
  await drover.ready();
  const [worker] = drover.workerPids();
  await notify.waitFor('WATCHDOG', '1');
  process.kill(worker, 'SIGSTOP');
  const hung = await drover.waitEvent('hung');
  const ready = await drover.waitEvent('ready', (e) => e.pid !== worker, { timeoutMs: 30_000 });
  // Margins for the two channels (stdout lines, datagrams) racing each other.
  const from = hung.at + 500;
  const to = ready.at - 500;
  assert.ok(to - from > 1_500, `a window of ${to - from} ms to look at`);
  const during = notify.messages.filter((m) => m.fields.WATCHDOG === '1' && m.receivedAt > from && m.receivedAt < to);
  assert.deepEqual(during, [], 'no WATCHDOG=1 while no worker answered heartbeats');
  await waitFor(() => notify.messages.some((m) => m.fields.WATCHDOG === '1' && m.receivedAt > ready.at), { timeoutMs: 10_000, message: 'the watchdog to resume' });
  drover.signal('SIGTERM');
  assert.equal((await drover.wait()).code, 0);
  await drover.assertNothingLeft();
});

test('the daemon (drover startup systemd): READY=1 once its socket listens, STOPPING=1 on SIGTERM; its app masters inherit no NOTIFY_SOCKET', { skip }, async (t) => {
  const { makeHome, processesOf } = await import('../helpers/daemon.js');
  const { spawn } = await import('node:child_process');
  const { ROOT } = await import('../helpers/drover.js');
  const notify = await notifyReceiver(t);
  const home = makeHome(t, 'drover-sd-');
  const daemon = spawn(process.execPath, [`${ROOT}dist/daemon/main.js`], {
    // DROVER_SPARE_MASTER=1: a daemon keeps a spare app master only when asked (issue 17).
    env: { ...process.env, DROVER_HOME: home, NOTIFY_SOCKET: notify.socket, DROVER_SPARE_MASTER: '1' },
    stdio: 'ignore',
  });
  const exited = new Promise((resolve) => daemon.on('close', (code) => resolve(code)));
  t.after(() => daemon.kill('SIGKILL'));
  const ready = await notify.waitFor('READY', '1');
  assert.equal(notify.messages[ready].fields.MAINPID, String(daemon.pid));
  assert.match(notify.messages[ready].fields.STATUS, /^listening on /);
  // The daemon boots a spare app master at once: it must not have the variable.
  await waitFor(() => processesOf(home).some((pid) => pid !== daemon.pid), { timeoutMs: 20_000, message: 'the spare app master' });
  for (const pid of processesOf(home)) {
    if (pid === daemon.pid) continue;
    const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    assert.ok(!env.some((kv) => kv.startsWith('NOTIFY_SOCKET=')), `process ${pid} inherited NOTIFY_SOCKET`);
  }
  daemon.kill('SIGTERM');
  await notify.waitFor('STOPPING', '1', { from: ready + 1 });
  assert.equal(await exited, 0);
});
