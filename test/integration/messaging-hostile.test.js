// Hostile input against the master: malformed frames, a 64 MiB frame,
// unknown tokens, spoofed senders, undecodable and non-serialisable payloads,
// a flood of 100k messages/s, and spoofed drover messages on Node's IPC
// channel. The master survives every case, logs the offender, keeps serving
// the other workers, and replaces a worker that keeps at it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { makeApp, collect, captureLog, fixture } from '../helpers/messaging.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { Kind } from '../../dist/messaging/frame.js';

const MiB = 1024 * 1024;

function hostileApp(t, actions, { messaging, instances = 2 } = {}) {
  const log = captureLog();
  const dir = tempDir(t, 'drover-hostile-');
  const env = { HOSTILE: JSON.stringify(actions), HOSTILE_MARK: path.join(dir, 'attacker') };
  return makeApp(t, { script: fixture('messaging-hostile.js'), instances, env, messaging, logger: log.logger }).then((app) =>
    Object.assign(app, {
      log: log.records,
      offered: () => JSON.parse(readFileSync(`${env.HOSTILE_MARK}.flood`, 'utf8')),
      /** For a failure's message: the attacker's raw connections so far, and the hub's abuse lines. */
      attackSoFar: () => {
        let raws = 'none reported';
        try {
          raws = readFileSync(`${env.HOSTILE_MARK}.raw`, 'utf8');
        } catch {}
        const lines = log.records.filter((r) => /^message-abuse/.test(r.event ?? '')).map((r) => `${r.event}: ${r.msg}`);
        return `the attacker's raw connections: ${raws}; the hub's abuse lines: ${JSON.stringify(lines)}`;
      },
    }),
  );
}

/** The hub's answer to a raw send: its ack or nack (the welcome comes first). */
const answer = (r) => r.replies.find((f) => f.kind === Kind.ack || f.kind === Kind.nack);

/**
 * Samples the master (this process) until stopped: its event-loop delay, the
 * CPU time it spent between two turns of a 10 ms timer, and its RSS.
 * The assertions use the CPU time: a loop kept busy by the attack shows there
 * whatever the machine's load, while the wall-clock delay also counts the time
 * the scheduler gives other processes (on 2 cores shared by several test runs,
 * a 10 ms timer of an idle process is late by 100+ ms; failed alone at load
 * 13-17 on Node 20 and 24). The CPU time counts every thread of the process
 * (GC helpers too), so it is not below what the loop itself used.
 */
function recorder() {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const rss = [process.memoryUsage.rss()];
  const busy = [];
  let cpu = process.cpuUsage();
  const turns = setInterval(() => {
    const now = process.cpuUsage();
    busy.push((now.user - cpu.user + now.system - cpu.system) / 1000);
    cpu = now;
  }, 10);
  const timer = setInterval(() => rss.push(process.memoryUsage.rss()), 50);
  return {
    stop() {
      clearInterval(turns);
      clearInterval(timer);
      delay.disable();
      rss.push(process.memoryUsage.rss());
      busy.sort((a, b) => a - b);
      const busyP99Ms = busy.length ? busy[Math.min(busy.length - 1, Math.floor(busy.length * 0.99))] : 0;
      return { lagP99Ms: delay.percentile(99) / 1e6, lagMaxMs: delay.max / 1e6, busyP99Ms, busyMaxMs: busy.at(-1) ?? 0, rssStartMiB: rss[0] / MiB, rssMaxMiB: Math.max(...rss) / MiB };
    },
  };
}

/** The diagnostic line's numbers of the master's loop. */
const loopText = (s) => `lag p99 ${s.lagP99Ms.toFixed(1)} ms (max ${s.lagMaxMs.toFixed(1)}), CPU between loop turns p99 ${s.busyP99Ms.toFixed(1)} ms (max ${s.busyMaxMs.toFixed(1)})`;

test('malformed frames, a 64 MiB frame, unknown tokens, spoofed senders, bad payloads: connection closed, offender logged, master and other workers fine', async (t) => {
  const actions = [
    { raw: 'preauth-garbage' },
    { raw: 'wrong-token' },
    { raw: 'bad-magic' },
    { raw: 'oversize' },
    { raw: 'bad-kind' },
    { raw: 'bad-v8' },
    { raw: 'spoof-from' },
    { api: 'big' },
    { api: 'unserialisable' },
  ];
  const app = await hostileApp(t, actions);
  const done = collect(app.sup, 'hostile-done');
  const who = collect(app.sup, 'who');
  const x = collect(app.sup, 'x');
  await app.start();
  const rec = recorder();
  process.kill(app.pidOf(0), 'SIGUSR2');
  await waitFor(() => done.length === 1, { timeoutMs: 20_000, message: "the hostile worker's report" });
  const stats = rec.stop();
  t.diagnostic(`master during the attacks: ${loopText(stats)}, rss ${stats.rssStartMiB.toFixed(0)} → max ${stats.rssMaxMiB.toFixed(0)} MiB`);
  const results = Object.fromEntries(done[0].payload.map((r) => [r.name ?? r.api, r]));
  const fatal = (r) => r.replies.find((f) => f.kind === Kind.fatal)?.body ?? '';

  assert.equal(results['preauth-garbage'].closedByHub, true);
  assert.match(fatal(results['preauth-garbage']), /DROVER_E_MSG_TOO_LARGE|announced a frame/);
  assert.equal(results['wrong-token'].closedByHub, true);
  assert.match(fatal(results['wrong-token']), /unknown token/);
  assert.equal(results['bad-magic'].closedByHub, true);
  assert.match(fatal(results['bad-magic']), /malformed frame: bad magic byte 0x42/);
  assert.equal(results.oversize.closedByHub, true);
  assert.match(fatal(results.oversize), /"code":"DROVER_E_MSG_TOO_LARGE".*announced a frame of 67108868 bytes/);
  assert.equal(results['bad-kind'].closedByHub, true);
  assert.match(fatal(results['bad-kind']), /kind ack is not accepted/);
  // Not fatal: the payload is refused, the connection kept.
  assert.equal(results['bad-v8'].closedByHub, false);
  assert.equal(results['bad-v8'].replies[0].kind, Kind.welcome, 'the token was accepted');
  assert.equal(answer(results['bad-v8']).kind, Kind.nack);
  assert.match(answer(results['bad-v8']).body, /DROVER_E_MSG_SERIALIZE/);
  assert.equal(x.length, 0, 'the master listener never saw the undecodable payload');
  assert.equal(answer(results['spoof-from']).kind, Kind.ack);
  assert.deepEqual(who.map((w) => w.from), [0], 'the sender is the connection, not what the frame claims (7)');
  assert.equal(results.big.code, 'DROVER_E_MSG_TOO_LARGE');
  assert.match(results.big.message, /67108864 bytes exceeds the maximum message size of 16777216 bytes/);
  assert.equal(results.unserialisable.code, 'DROVER_E_MSG_SERIALIZE');

  assert.ok(stats.rssMaxMiB - stats.rssStartMiB < 48, `the 64 MiB frame was never buffered (rss +${(stats.rssMaxMiB - stats.rssStartMiB).toFixed(0)} MiB)`);
  assert.ok(stats.busyP99Ms < 100, `CPU between loop turns p99 ${stats.busyP99Ms} ms`);
  const wid0 = app.of('fork', (e) => e.slot === 0)[0].wid;
  const offences = app.log.filter((r) => r.event === 'message-abuse' && r.wid === wid0);
  assert.ok(offences.length >= 1, 'the offender is logged');
  assert.ok(offences.every((r) => r.level === 40 && /worker 0 \(wid \d+\)/.test(r.msg)));
  assert.ok(app.log.some((r) => /unknown token/.test(r.msg)), 'the unknown token is logged');
  // Four strikes (three fatal frames and an undecodable payload): below the five that get a worker replaced.
  assert.equal(app.of('crash').length, 0);
  assert.equal(await app.sup.messages.request(1, 'echo', 'still here'), 'still here');
  assert.equal(app.sup.phase, 'running');
  await app.stop();
});

test('repeated abuse: the worker is replaced (replacement first, then a graceful stop); the others keep running', async (t) => {
  const app = await hostileApp(t, [{ raw: 'bad-magic' }, { raw: 'bad-magic' }, { raw: 'bad-kind' }, { raw: 'bad-magic' }, { raw: 'oversize' }]);
  await app.start();
  const attacker = app.pidOf(0);
  const bystander = app.pidOf(1);
  process.kill(attacker, 'SIGUSR2');
  // Timed out once in 7 runs under load (the cause unknown): a timeout now says how far the attack got.
  const crash = await app.waitEvent('crash', (e) => e.pid === attacker, { timeoutMs: 20_000 }).catch((err) => {
    throw new Error(`${err.message}; ${app.attackSoFar()}`);
  });
  assert.match(crash.error, /replaced for abusing the message channels/);
  assert.ok(app.log.some((r) => r.event === 'message-abuse-restart' && r.strikes === 5), 'the restart is logged with its reason');
  const replacement = await app.waitEvent('ready', (e) => e.slot === 0 && e.pid !== attacker, { timeoutMs: 20_000 });
  const exit = await app.waitEvent('exit', (e) => e.pid === attacker, { timeoutMs: 20_000 });
  const forkOfReplacement = app.of('fork', (e) => e.pid === replacement.pid)[0];
  assert.ok(forkOfReplacement.at <= exit.at, 'the replacement was started before the abuser exited');
  assert.equal(app.pidOf(1), bystander, 'the other worker was not touched');
  assert.equal(await app.sup.messages.request(0, 'echo', 'new worker 0'), 'new worker 0');
  assert.equal(await app.sup.messages.request(1, 'echo', 'worker 1'), 'worker 1');
  await app.stop();
});

test('a flood of 100k messages/s from one worker: throttled, logged, replaced for repeated flooding; master loop busy p99 < 100 ms of CPU, RSS bounded; other workers unaffected', async (t) => {
  // Three strikes (seconds of flooding) instead of five keep the test short. The
  // rate limit is set to 5 000/s (default 50 000/s) so that the flood is one on a
  // starved machine too: what is checked is throttling to the configured limit,
  // not how fast this machine can send.
  const rateLimit = 5_000;
  const app = await hostileApp(t, [{ flood: 100_000, seconds: 8 }], { messaging: { abuseStrikes: 3, rateLimit } });
  let received = 0;
  app.sup.messages.on('flood', () => received++);
  await app.start();
  const attacker = app.pidOf(0);
  const rec = recorder();
  const started = Date.now();
  process.kill(attacker, 'SIGUSR2');
  // Meanwhile another worker is asked round trips, and their latency kept.
  const latencies = [];
  let replaced = false;
  app.sup.once('crash', () => (replaced = true));
  while (!replaced && Date.now() - started < 20_000) {
    const t0 = performance.now();
    assert.equal(await app.sup.messages.request(1, 'echo', 'ping'), 'ping');
    latencies.push(performance.now() - t0);
    // Pacing of the sampler (about 200 round trips a second), not a synchronisation.
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const floodMs = Date.now() - started;
  // Counted over the same window as floodMs: messages still arriving later would overstate the rate.
  const receivedInWindow = received;
  const stats = rec.stop();
  const offered = app.offered();
  const offeredRate = Math.round(offered.sent / (offered.ms / 1000));
  latencies.sort((a, b) => a - b);
  const p99 = latencies[Math.floor(latencies.length * 0.99)];
  t.diagnostic(
    `flood: ${offered.sent} messages offered in ${offered.ms} ms (${offeredRate}/s; refused locally: ${JSON.stringify(offered.codes)}), ${receivedInWindow} received by the master in ${floodMs} ms (${Math.round(receivedInWindow / (floodMs / 1000))}/s); master ${loopText(stats)}; master rss ${stats.rssStartMiB.toFixed(0)} → max ${stats.rssMaxMiB.toFixed(0)} MiB; worker 1 round trip p99 ${p99.toFixed(1)} ms over ${latencies.length}`,
  );

  // 100 000/s is the aim; on a starved machine the worker may offer less, but it
  // must be a flood: above the limit (the throttle's backpressure itself slows
  // the sender down, so offered stays near the limit on a loaded machine).
  assert.ok(offeredRate > 1.2 * rateLimit, `the worker offered ${offeredRate} messages/s`);
  const crash = await app.waitEvent('crash', (e) => e.pid === attacker, { timeoutMs: 5_000 });
  assert.match(crash.error, /replaced for abusing the message channels: message flood/);
  assert.ok(app.log.some((r) => r.event === 'message-flood'), 'the flood is logged');
  const floodLines = app.log.filter((r) => r.event === 'message-flood');
  assert.ok(floodLines.length <= Math.ceil(floodMs / 1000) + 1, `logged at most once a second (${floodLines.length} lines)`);
  // Throttled to the rate limit (bursts of one second's worth): at most
  // rateLimit × (t + 1), plus 100 ms' worth for where the window's ends fall.
  assert.ok(receivedInWindow <= rateLimit * (floodMs / 1000 + 1.1), `received ${receivedInWindow} in ${floodMs} ms`);
  assert.ok(stats.busyP99Ms < 100, `master CPU between loop turns p99 ${stats.busyP99Ms} ms`);
  assert.ok(stats.rssMaxMiB - stats.rssStartMiB < 150, `master rss grew ${(stats.rssMaxMiB - stats.rssStartMiB).toFixed(0)} MiB`);
  // Worker 1 is not starved by the flood: within 250 ms of its round trip, plus what the machine itself made
  // the master's loop late (two turns of it per round trip, at the lag's p99). On a loaded machine that lag is
  // other processes' time (p99 311 ms with a lag p99 of 504 ms, load 10, nice 19: failed against a flat 250);
  // a hub that put worker 1's frames behind the flood's would delay its round trips without making the timers late.
  const allowed = 250 + 2 * stats.lagP99Ms;
  assert.ok(p99 < allowed, `worker 1 round trip p99 ${p99.toFixed(1)} ms (allowed ${allowed.toFixed(0)} ms: 250 + 2 × the master's lag p99)`);
  await app.waitEvent('ready', (e) => e.slot === 0 && e.pid !== attacker, { timeoutMs: 20_000 });
  await app.stop();
});

test('spoofed drover messages on the IPC channel (exiting ×1000, malformed, unknown kinds, a pong flood): one replacement, rate-limited logs, master fine', async (t) => {
  const actions = [
    { ipc: 'online', count: 5 },
    { ipc: 'malformed', count: 1000 },
    { ipc: 'unknown', count: 1000 },
    { ipc: 'version', count: 1000 },
    { ipc: 'pong', count: 50_000 },
    { ipc: 'exiting', count: 1000 },
  ];
  // Strikes would get the worker replaced after its first five bad messages (the next test): here every kind must get through.
  // The IPC rate limit is 2 000/s (default 20 000/s) so that the 50 000 pongs are a flood on a starved machine too.
  const app = await hostileApp(t, actions, { instances: 2, messaging: { abuseStrikes: 1_000_000, ipcRateLimit: 2_000 } });
  const done = collect(app.sup, 'hostile-done');
  await app.start();
  const attacker = app.pidOf(0);
  const bystander = app.pidOf(1);
  const rec = recorder();
  process.kill(attacker, 'SIGUSR2');
  const replacement = await app.waitEvent('ready', (e) => e.slot === 0 && e.pid !== attacker, { timeoutMs: 20_000 });
  await app.waitEvent('exit', (e) => e.pid === attacker, { timeoutMs: 20_000 });
  const stats = rec.stop();
  t.diagnostic(`master during the IPC spoofing: ${loopText(stats)}, rss ${stats.rssStartMiB.toFixed(0)} → max ${stats.rssMaxMiB.toFixed(0)} MiB`);

  const wid0 = app.of('fork', (e) => e.pid === attacker)[0].wid;
  // The first 'exiting' is what the runtime sends on a crash: acted on once; the 999 copies are dropped.
  assert.equal(app.of('crash', (e) => e.wid === wid0).length, 1);
  assert.equal(app.of('fork', (e) => e.slot === 0).length, 2, 'exactly one replacement');
  assert.ok(replacement.pid !== attacker);
  assert.equal(app.pidOf(1), bystander);
  const lines = app.log.filter((r) => r.wid === wid0 && ['ipc-abuse', 'bad-message'].includes(r.event));
  assert.ok(lines.length >= 2, 'the offender is logged');
  assert.ok(lines.length <= 20, `rate-limited: ${lines.length} lines for ~53 000 bad messages`);
  for (const what of [/listen: needs/, /unknown kind "rm -rf \/"/, /unsupported protocol version 99/]) {
    assert.ok(lines.some((r) => r.event === 'bad-message' && what.test(r.error)), `logged: ${what}`);
  }
  assert.ok(lines.some((r) => /sent 'online' a second time/.test(r.msg)));
  assert.ok(lines.some((r) => /sent 'exiting' a second time/.test(r.msg)));
  assert.ok(lines.some((r) => /floods the IPC channel/.test(r.msg)), 'the pong flood beyond the limit is logged');
  assert.ok(stats.busyP99Ms < 100, `CPU between loop turns p99 ${stats.busyP99Ms} ms`);
  assert.equal(app.sup.phase, 'running');
  assert.equal(await app.sup.messages.request(0, 'echo', 'replacement'), 'replacement');
  assert.equal(await app.sup.messages.request(1, 'echo', 'bystander'), 'bystander');
  assert.equal(done.length <= 1, true);
  await app.stop();
});

test('repeated malformed drover messages on the IPC channel get the worker replaced', async (t) => {
  const app = await hostileApp(t, [{ ipc: 'malformed', count: 10 }]);
  await app.start();
  const attacker = app.pidOf(0);
  process.kill(attacker, 'SIGUSR2');
  const crash = await app.waitEvent('crash', (e) => e.pid === attacker, { timeoutMs: 20_000 });
  assert.match(crash.error, /replaced for abusing the message channels: malformed IPC message \(listen: needs an integer seq/);
  await app.waitEvent('ready', (e) => e.slot === 0 && e.pid !== attacker, { timeoutMs: 20_000 });
  assert.equal(await app.sup.messages.request(0, 'echo', 'replacement'), 'replacement');
  await app.stop();
});
