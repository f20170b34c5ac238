// The agent's ordered start (egg's): the agent is ready before any worker
// forks, an agent that never gets ready fails the start with its own code and
// leaves nothing running, and app-ready reaches the agent and every worker.
// Timestamps are taken in the processes themselves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture, runDrover, superviseForTest, BOOT_TIMEOUT_MS } from '../helpers/drover.js';
import { waitFor, withTimeout } from '../helpers/wait.js';

const WORKER = fixture('messaging-worker.js');
const AGENT = fixture('messaging-agent.js');
const BASE = { script: WORKER, agent: AGENT, waitReady: true, heartbeatIntervalMs: 0, restartDelayMs: 0, logLevel: 'silent' };

test('the agent is ready before the first worker forks; app-ready reaches the agent and every worker, once each', async (t) => {
  // AGENT_DELAY_MS: a slow agent, so that a start that did not wait would show.
  const app = await superviseForTest(t, { ...BASE, instances: 3, env: { AGENT_DELAY_MS: '500' } });
  const seen = [];
  app.sup.messages.on('app-ready-seen', (p) => seen.push(p));
  await withTimeout(app.sup.ready, BOOT_TIMEOUT_MS, 'the workers to be ready');
  const m = app.sup.messages;
  const agentReadyAt = await m.request('agent', 'ready-at');
  const boots = await Promise.all([0, 1, 2].map((w) => m.request(w, 'boot-at')));
  for (const [w, at] of boots.entries()) assert.ok(at > agentReadyAt, `worker ${w} started at ${at}, the agent was ready at ${agentReadyAt}`);
  const order = app.events().map((e) => e.event);
  assert.ok(order.indexOf('agent-ready') < order.indexOf('fork'), order.join(', '));

  const agentPid = app.sup.agent().pid;
  const workerPids = app.events('fork').map((e) => e.pid);
  await waitFor(() => seen.length >= 4, { timeoutMs: BOOT_TIMEOUT_MS, message: `app-ready at the agent and 3 workers (seen ${JSON.stringify(seen)})` });
  assert.deepEqual(seen.map((s) => s.pid).sort(), [agentPid, ...workerPids].sort());
  assert.ok(seen.find((s) => s.pid === agentPid).agent);

  // An agent crash: restarted, the workers keep their pids, and the new agent hears app-ready too.
  process.kill(agentPid, 'SIGKILL');
  const second = await waitFor(() => app.events('agent-ready')[1], { timeoutMs: BOOT_TIMEOUT_MS, message: 'the restarted agent to be ready' });
  assert.notEqual(second.pid, agentPid);
  await waitFor(() => seen.some((s) => s.pid === second.pid), { timeoutMs: BOOT_TIMEOUT_MS, message: 'app-ready at the restarted agent' });
  assert.equal(seen.length, 5, JSON.stringify(seen));
  assert.deepEqual(app.sup.workers().map((w) => w.pid).sort(), [...workerPids].sort());
  assert.equal(app.events('exit').length, 0);
  await app.stop();
});

test('an agent that loads drover/worker after app-ready was sent still hears it (it asks again on load)', async (t) => {
  const app = await superviseForTest(t, { ...BASE, agent: fixture('late-agent.js'), agentReadyOn: 'online', instances: 1, env: { LATE_MS: '3000' } });
  const seen = [];
  app.sup.messages.on('app-ready-seen', (p) => seen.push(p));
  await withTimeout(app.sup.ready, BOOT_TIMEOUT_MS, 'the worker to be ready');
  const late = await waitFor(() => seen.find((s) => s.late), { timeoutMs: BOOT_TIMEOUT_MS, message: 'app-ready at the late agent' });
  assert.equal(late.pid, app.sup.agent().pid);
  await app.stop();
});

test('an agent that never calls ready() fails the start with DROVER_E_AGENT_READY_TIMEOUT; no worker forks, nothing is left', async (t) => {
  const app = await superviseForTest(t, { ...BASE, instances: 2, agentReadyTimeoutMs: 1_000, killTimeoutMs: 2_000, env: { AGENT_NO_READY: '1' } });
  await assert.rejects(withTimeout(app.sup.ready, BOOT_TIMEOUT_MS, 'the start to fail'), (err) => err.code === 'DROVER_E_AGENT_READY_TIMEOUT' && /within 1000 ms/.test(err.message));
  const outcome = await withTimeout(app.sup.done, BOOT_TIMEOUT_MS, 'the supervisor to stop');
  assert.equal(outcome.exitCode, 102);
  assert.equal(app.events('fork').length, 0);
  assert.equal(app.events('agent-spawn').length, 1);
  await app.assertNothingLeft();
});

test('drover run: --agent-ready-timeout-ms fails with exit 102 and one error line; --agent-ready-on online does not wait', async (t) => {
  const d = runDrover(t, [WORKER, '--agent', AGENT, '--wait-ready', '--heartbeat-interval-ms', '0', '--agent-ready-timeout-ms', '800'], { env: { AGENT_NO_READY: '1' } });
  const exit = await d.wait();
  assert.equal(exit.code, 102, d.stderr);
  assert.match(d.errorLine() ?? '', /^drover: the agent \(pid \d+\) was not ready within 800 ms.*\[DROVER_E_AGENT_READY_TIMEOUT\]$/);
  assert.equal(d.events('fork').length, 0);
  await d.assertNothingLeft();

  const online = runDrover(t, [WORKER, '--agent', AGENT, '--wait-ready', '--heartbeat-interval-ms', '0', '--agent-ready-on', 'online'], { env: { AGENT_NO_READY: '1' } });
  await online.ready();
  assert.ok(online.events('agent-ready').length === 1);
  online.signal('SIGTERM');
  assert.equal((await online.wait()).code, 0, online.stderr);
  await online.assertNothingLeft();
});
