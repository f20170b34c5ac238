// The agent (option `agent`, flag --agent): one process per app beside the
// workers, reachable at the address 'agent'. Real processes: messaging both
// ways, restart after SIGKILL, stopped after the workers, and a missing agent
// script refused before anything starts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fixture, runDrover, superviseForTest, BOOT_TIMEOUT_MS } from '../helpers/drover.js';
import { assertAllGone, identify, isAlive } from '../helpers/procs.js';
import { waitFor, withTimeout } from '../helpers/wait.js';

const WORKER = fixture('messaging-worker.js');
const AGENT = fixture('messaging-agent.js');

/** An app of `instances` messaging workers and the messaging agent; resolves once all are reachable. */
async function startApp(t, { instances = 2, options = {} } = {}) {
  const app = await superviseForTest(t, { script: WORKER, agent: AGENT, instances, waitReady: true, heartbeatIntervalMs: 0, restartDelayMs: 0, logLevel: 'silent', ...options });
  // Registered before any child can have connected: supervise() started them on this tick, I/O comes later.
  const agentUp = [];
  app.sup.messages.on('agent-up', (payload) => agentUp.push(payload));
  await app.ready();
  await waitFor(() => agentUp.length > 0, { timeoutMs: BOOT_TIMEOUT_MS, message: "the agent's agent-up" });
  return Object.assign(app, { agentUp });
}

test("agent messaging: a worker's request gets the agent's reply, the agent's broadcast reaches each worker once, the master asks the agent", async (t) => {
  const app = await startApp(t);
  const m = app.sup.messages;
  const [spawn] = app.of('agent-spawn');
  assert.equal(app.agentUp[0].pid, spawn.pid);
  assert.equal(app.agentUp[0].isAgent, true);
  assert.equal(app.sup.agent().pid, spawn.pid);

  // From the master: the agent knows it is the agent, without a worker id or the worker runtime.
  const who = await m.request('agent', 'whoami');
  assert.deepEqual(who, { isAgent: true, isWorker: false, workerId: -1, pid: spawn.pid, env: { DROVER_WORKER_ID: null, DROVER_AGENT: '1' } });

  // From each worker.
  for (const w of [0, 1]) {
    const r = await m.request(w, 'ask', { to: 'agent', topic: 'x', payload: { n: w } });
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.deepEqual(r.value, { agent: true, pid: spawn.pid, payload: { n: w }, from: w });
  }

  // The agent broadcasts to 'workers': every worker once, from 'agent'.
  const seen = [];
  m.on('bc-seen', (payload) => seen.push(payload));
  assert.equal(await m.request('agent', 'broadcast', { topic: 'bc', payload: { n: 'agent' } }), true);
  // A fence on the same connections: once the master's broadcast is in from both, a duplicate would have been too.
  await m.send('workers', 'bc', { n: 'fence' });
  await waitFor(() => [0, 1].every((w) => seen.some((s) => s.workerId === w && s.payload.n === 'fence')), { message: 'the fence at both workers' });
  const fromAgent = seen.filter((s) => s.payload.n === 'agent');
  assert.deepEqual(fromAgent.map((s) => s.workerId).sort(), [0, 1]);
  assert.ok(fromAgent.every((s) => s.from === 'agent'), JSON.stringify(fromAgent));

  // Errors name the agent.
  await assert.rejects(m.request('agent', 'no-such-topic'), (err) => err.code === 'DROVER_E_MSG_NO_HANDLER' && /the agent has no handler for 'no-such-topic'/.test(err.message));
  await app.stop();
});

test("a worker's request to an agent still booting waits for it to connect (within the connect grace) instead of failing", async (t) => {
  const app = await superviseForTest(t, { script: WORKER, agent: AGENT, instances: 1, waitReady: true, heartbeatIntervalMs: 0, logLevel: 'silent', env: { AGENT_DELAY_MS: '1200' } });
  const agentUp = [];
  app.sup.messages.on('agent-up', (payload) => agentUp.push(payload));
  await app.ready();
  assert.equal(agentUp.length, 0, 'the agent has not connected yet (its boot takes 1.2 s)');
  const r = await app.sup.messages.request(0, 'ask', { to: 'agent', topic: 'x', payload: { early: true } });
  assert.equal(r.ok, true, JSON.stringify(r));
  assert.deepEqual(r.value, { agent: true, pid: app.sup.agent().pid, payload: { early: true }, from: 0 });
  await app.stop();
});

test('a request to an agent that does not connect within the grace (3 s after its start) fails with NO_ROUTE', async (t) => {
  const app = await superviseForTest(t, { script: WORKER, agent: AGENT, instances: 1, waitReady: true, heartbeatIntervalMs: 0, logLevel: 'silent', env: { AGENT_DELAY_MS: '60000' } });
  await app.ready();
  const r = await app.sup.messages.request(0, 'ask', { to: 'agent', topic: 'x', payload: 1, timeoutMs: 20_000 });
  assert.equal(r.ok, false);
  assert.equal(r.code, 'DROVER_E_MSG_NO_ROUTE', JSON.stringify(r));
  await app.stop();
});

test('a SIGKILLed agent is restarted (a new pid) and answers again; the workers are untouched', async (t) => {
  const app = await startApp(t);
  const m = app.sup.messages;
  const first = app.of('agent-spawn')[0];
  const workerPids = app.of('fork').map((e) => e.pid);
  const old = identify(first.pid);
  process.kill(first.pid, 'SIGKILL');

  const exit = await waitFor(() => app.of('agent-exit')[0], { message: "the agent's exit event" });
  assert.equal(exit.pid, first.pid);
  assert.equal(exit.reason, 'crashed');
  assert.equal(exit.signal, 'SIGKILL');
  const second = await waitFor(() => app.of('agent-spawn')[1], { timeoutMs: BOOT_TIMEOUT_MS, message: 'the restarted agent' });
  assert.notEqual(second.pid, first.pid);
  assert.equal(isAlive(old), false);
  assert.equal(app.of('agent-restart').length, 1);

  // Reachable again, from the master and from a worker (polled: it connects once it has booted).
  const who = await waitFor(() => m.request('agent', 'whoami'), { timeoutMs: BOOT_TIMEOUT_MS, message: 'the new agent to answer' });
  assert.equal(who.pid, second.pid);
  const r = await m.request(1, 'ask', { to: 'agent', topic: 'x', payload: 'again' });
  assert.equal(r.ok, true, JSON.stringify(r));
  assert.equal(r.value.pid, second.pid);

  assert.equal(app.of('exit').length, 0, 'no worker exited');
  assert.deepEqual(app.of('fork').map((e) => e.pid), workerPids);
  await app.stop();
});

test('stopping the supervisor ends the agent, after the workers', async (t) => {
  const app = await startApp(t);
  const agent = identify(app.of('agent-spawn')[0].pid);
  assert.equal(isAlive(agent), true);
  const outcome = await withTimeout(app.sup.stop(), BOOT_TIMEOUT_MS, 'the supervisor to stop');
  assert.equal(outcome.exitCode, 0);
  assert.equal(isAlive(agent), false);
  const order = app.events().map((e) => e.event);
  const agentExit = order.indexOf('agent-exit');
  assert.ok(agentExit > order.lastIndexOf('exit'), `the agent exits after every worker: ${order.join(', ')}`);
  assert.equal(app.of('agent-exit')[0].reason, 'stopped');
  assert.equal(app.of('agent-restart').length, 0);
  assert.equal(app.sup.agent(), undefined);
  await app.assertNothingLeft();
});

test('a missing agent script is refused before anything starts, naming the agent', async (t) => {
  const { supervise } = await import('../../dist/index.js');
  assert.throws(
    () => supervise({ script: WORKER, agent: 'no-such-agent.js', cwd: path.dirname(WORKER) }),
    (err) => err.code === 'DROVER_E_SCRIPT_NOT_FOUND' && err.message.startsWith(`agent ${path.join(path.dirname(WORKER), 'no-such-agent.js')} does not exist`) && err.details.agent !== undefined,
  );
  assert.throws(() => supervise({ script: WORKER, agent: path.join(path.dirname(WORKER), 'a-directory') }), { code: 'DROVER_E_SCRIPT_IS_DIRECTORY' });

  // The command line: one error line, exit 66, no process started.
  const d = runDrover(t, [WORKER, '--agent', 'no-such-agent.js']);
  const exit = await d.wait();
  assert.equal(exit.code, 66, d.stderr);
  assert.match(d.errorLine() ?? '', /^drover: agent .*no-such-agent\.js does not exist: check the path .*\[DROVER_E_SCRIPT_NOT_FOUND\]$/);
  assert.equal(d.events('fork').length + d.events('agent-spawn').length, 0);
  await d.assertNothingLeft();
});

test('drover run --agent: lifecycle lines in the log, and SIGTERM stops workers then agent', async (t) => {
  const d = runDrover(t, [WORKER, '--agent', AGENT, '--wait-ready', '--heartbeat-interval-ms', '0']);
  await d.ready();
  const spawn = await d.waitEvent('agent-spawn');
  assert.match(spawn.msg, new RegExp(`^agent \\(pid ${spawn.pid}\\) started$`));
  assert.equal(spawn.level, 30);
  d.signal('SIGTERM');
  const exit = await d.wait();
  assert.equal(exit.code, 0, d.stderr);
  const agentExit = d.events('agent-exit')[0];
  assert.equal(agentExit?.reason, 'stopped', JSON.stringify(d.events()));
  assert.ok(d.records.indexOf(agentExit) > d.records.indexOf(d.events('exit').at(-1)), 'the agent exits after the workers');
  await d.assertNothingLeft();
});

test('master SIGKILL: the agent is ended too (its process group is in the group guard)', async (t) => {
  const d = runDrover(t, [WORKER, '--agent', AGENT, '--wait-ready', '--heartbeat-interval-ms', '0']);
  await d.ready();
  const agent = identify((await d.waitEvent('agent-spawn')).pid);
  d.signal('SIGKILL');
  await d.wait();
  await assertAllGone([agent], { timeoutMs: 2_000, what: 'the agent' });
  await d.assertNothingLeft();
});

test('an agent that floods the message hub is replaced like an abusive worker: stopped, then restarted', async (t) => {
  const { makeApp, collect } = await import('../helpers/messaging.js');
  const app = await makeApp(t, { instances: 1, messaging: { rateLimit: 20, abuseStrikes: 1 }, options: { agent: AGENT } });
  const up = collect(app.sup, 'agent-up');
  await app.start();
  await waitFor(() => up.length > 0, { timeoutMs: BOOT_TIMEOUT_MS, message: "the agent's agent-up" });
  const first = app.of('agent-spawn')[0];
  // Its reply may never come: the hub throttles and then cuts off the agent while the flood is still queued.
  app.sup.messages.request('agent', 'flood', { n: 200 }).catch(() => {});
  const crash = await app.waitEvent('agent-crash');
  assert.equal(crash.pid, first.pid);
  assert.match(crash.error, /abusing the message channels: message flood/);
  const exit = await app.waitEvent('agent-exit');
  assert.equal(exit.reason, 'crashed');
  await waitFor(() => up.length > 1, { timeoutMs: BOOT_TIMEOUT_MS, message: 'the restarted agent to say agent-up' });
  assert.notEqual(up[1].pid, first.pid);
  assert.equal(app.of('exit').length, 0, 'the worker keeps running');
  await app.stop();
});
