// @ts-check
// Processes that are not servers (issue 16): fork mode is ready after
// minUptimeMs, a cluster worker that never listens gets an early hint, and
// readyTimeoutAction 'ready' takes a silent worker as ready (PM2's listen_timeout).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sim } from '../helpers/core.js';
import { LISTEN_HINT_MS } from '../../dist/core/step.js';
import { resolveSpec } from '../../dist/config/resolve.js';
import { mapPm2App } from '../../dist/config/pm2.js';
import { example } from '../helpers/paths.js';

/** @param {Sim} sim @param {number} wid */
const online = (sim, wid) => {
  sim.send({ type: 'spawned', wid, pid: 4000 + wid, random: 0 });
  sim.send({ type: 'online', wid });
};

test('fork mode (readyOn uptime): ready once the worker stayed up minUptimeMs, not before', () => {
  const sim = new Sim({ execMode: 'fork', readyOn: 'uptime', minUptimeMs: 1_000, instances: 2 });
  sim.send({ type: 'start' });
  online(sim, 1);
  online(sim, 2);
  sim.advance(999);
  assert.equal(sim.emitted('ready').length, 0);
  sim.advance(1_000);
  assert.equal(sim.emitted('ready').length, 2);
  assert.equal(sim.state.phase, 'running');
  assert.equal(sim.emitted('warning').length, 0, 'no listen hint in fork mode');
});

test('fork mode: a worker that exits before minUptimeMs fails the first start', () => {
  const sim = new Sim({ execMode: 'fork', readyOn: 'uptime', minUptimeMs: 1_000 });
  sim.send({ type: 'start' });
  online(sim, 1);
  sim.at(500).exit(1, 1);
  assert.equal(sim.emitted('start-failed')[0]?.code, 'DROVER_E_WORKER_BOOT');
  assert.ok(!sim.timers.has('up:1'), 'the uptime timer is cancelled');
});

test('fork mode: minUptimeMs 0 is ready when online', () => {
  const sim = new Sim({ execMode: 'fork', readyOn: 'uptime', minUptimeMs: 0 });
  sim.send({ type: 'start' });
  online(sim, 1);
  assert.equal(sim.state.phase, 'running');
});

test('cluster mode: a worker that has not listened gets a hint naming --exec-mode fork long before the ready timeout', () => {
  const sim = new Sim({ readyTimeoutMs: 30_000 });
  sim.send({ type: 'start' });
  online(sim, 1);
  sim.advance(LISTEN_HINT_MS - 1);
  assert.equal(sim.emitted('warning').length, 0);
  sim.advance(LISTEN_HINT_MS);
  const [hint] = sim.emitted('warning');
  assert.match(hint?.message ?? '', /has not called listen\(\) after 5000 ms.*--exec-mode fork.*--ready-on online/);
  assert.equal(sim.state.phase, 'starting', 'a hint stops nothing');
  sim.advance(30_000);
  assert.equal(sim.log.filter((e) => e.type === 'stop-worker').length, 1, 'the ready timeout still applies');
});

test('cluster mode: no hint for a worker that listens in time', () => {
  const sim = new Sim({ readyTimeoutMs: 30_000 });
  sim.send({ type: 'start' });
  sim.boot(1);
  sim.advance(60_000);
  assert.equal(sim.emitted('warning').length, 0);
  assert.ok(!sim.timers.has('listen-hint:1'));
});

test("readyTimeoutAction 'ready': the timeout makes the worker ready, with a warning", () => {
  const sim = new Sim({ readyOn: 'signal', readyTimeoutAction: 'ready', readyTimeoutMs: 3_000 });
  sim.send({ type: 'start' });
  online(sim, 1);
  sim.advance(3_000);
  assert.equal(sim.state.phase, 'running');
  assert.match(sim.emitted('warning')[0]?.message ?? '', /not ready within 3000 ms.*taken as ready anyway/);
  assert.equal(sim.log.filter((e) => e.type === 'stop-worker').length, 0);
});

test("readyTimeoutAction 'fail' (default): the timeout stops the worker and fails the start", () => {
  const sim = new Sim({ readyOn: 'signal', readyTimeoutMs: 3_000 });
  sim.send({ type: 'start' });
  online(sim, 1);
  sim.advance(3_000);
  assert.equal(sim.log.filter((e) => e.type === 'stop-worker').length, 1);
});

test('resolveSpec: execMode fork waits for uptime; waitReady still wins; defaults are cluster and fail', () => {
  const script = example('hello.js');
  assert.equal(resolveSpec({ script, execMode: 'fork' }).readyOn, 'uptime');
  assert.equal(resolveSpec({ script, execMode: 'fork', waitReady: true }).readyOn, 'signal');
  const d = resolveSpec({ script });
  assert.deepEqual([d.execMode, d.readyTimeoutAction, d.readyOn], ['cluster', 'fail', 'listen']);
  assert.throws(() => resolveSpec({ script, execMode: 'fork', balance: 'kernel' }), { code: 'DROVER_E_INVALID_OPTION', message: /fork mode each process binds its own ports/ });
});

test('PM2 mapping: exec_mode, drover keys inside a PM2 app, wait_ready/listen_timeout means ready anyway', () => {
  assert.equal(mapPm2App({ script: 'a.js', exec_mode: 'fork_mode' }).options.execMode, 'fork');
  assert.equal(mapPm2App({ script: 'a.js', exec_mode: 'cluster' }).options.execMode, 'cluster');
  const mixed = mapPm2App({ script: 'a.js', exec_mode: 'fork', readyOn: 'online', killTimeoutMs: 100 });
  assert.deepEqual([mixed.options.readyOn, mixed.options.killTimeoutMs, mixed.unknown.length], ['online', 100, 0]);
  const pm2 = mapPm2App({ script: 'a.js', wait_ready: true, listen_timeout: 3000 });
  assert.deepEqual([pm2.options.readyTimeoutAction, pm2.options.readyTimeoutMs, pm2.options.waitReady], ['ready', 3000, true]);
  assert.match(pm2.notes.join('\n'), /listen_timeout: as in PM2, a worker not ready in time is taken as ready/);
  const strict = mapPm2App({ script: 'a.js', wait_ready: true, readyTimeoutAction: 'fail' });
  assert.equal(strict.options.readyTimeoutAction, 'fail');
  assert.equal(strict.notes.length, 0);
  assert.equal(mapPm2App({ script: 'a.js' }).options.readyTimeoutAction, undefined, 'no PM2 readiness keys: drover default');
});
