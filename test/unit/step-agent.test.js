// @ts-check
// The agent in the supervisor core (step with a fake clock): started with the
// app, restarted on its own window and backoff, given up without touching the
// workers, stopped only after the workers, left alone by reloads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sim, makeSpec, runningSim } from '../helpers/core.js';

/** @type {import('../../dist/core/types.js').AgentSpec} */
const AGENT = { script: '/app/agent.js', mode: 'node' };

/** A running app with an agent (wid 1, pid 900) and `instances` ready workers (wids 2..). */
function running(overrides = {}) {
  const sim = runningSim({ agent: AGENT, ...overrides });
  sim.send({ type: 'agent-spawned', wid: 1, pid: 900 });
  return sim;
}

/** @param {readonly import('../helpers/core.js').Effect[]} effects */
const agentSpawns = (effects) => effects.filter((e) => e.type === 'spawn-agent');
/**
 * @param {Sim} sim
 * @param {number} wid
 * @param {number | null} [code]
 * @param {string | null} [signal]
 */
const agentExit = (sim, wid, code = 1, signal = null) => sim.send({ type: 'agent-exited', wid, code, signal });

test('start: the agent is spawned first, with its own id; the start waits for the workers only', () => {
  const sim = new Sim({ agent: AGENT, instances: 2 });
  const effects = sim.send({ type: 'start' });
  assert.deepEqual(
    effects.filter((e) => e.type === 'spawn' || e.type === 'spawn-agent').map((e) => [e.type, e.wid]),
    [
      ['spawn-agent', 1],
      ['spawn', 2],
      ['spawn', 3],
    ],
  );
  assert.deepEqual(sim.emitted('agent-spawn', sim.send({ type: 'agent-spawned', wid: 1, pid: 900 })), [{ event: 'agent-spawn', wid: 1, pid: 900 }]);
  sim.boot(2);
  const last = sim.boot(3);
  assert.equal(sim.emitted('started', last).length, 1);
  assert.equal(sim.state.agent.proc.pid, 900);
});

test('no agent option: nothing is spawned for it', () => {
  const sim = new Sim({ instances: 1 });
  assert.equal(agentSpawns(sim.send({ type: 'start' })).length, 0);
  assert.equal(makeSpec().agent, undefined);
});

test('an agent that dies is restarted with the backoff; a stable run resets it', () => {
  const sim = running({ restartDelayMs: 100, maxRestartDelayMs: 1_000, minUptimeMs: 1_000 });
  sim.at(50);
  let effects = agentExit(sim, 1, null, 'SIGKILL');
  const [exit] = sim.emitted('agent-exit', effects);
  assert.deepEqual([exit.wid, exit.pid, exit.reason, exit.signal, exit.uptimeMs], [1, 900, 'crashed', 'SIGKILL', 50]);
  assert.deepEqual(sim.emitted('agent-restart', effects).map((e) => e.delayMs), [0]);
  assert.deepEqual(agentSpawns(effects).map((e) => e.wid), [4], 'a new id for the new process');

  // Quick failures double the delay: 100, then 200.
  effects = agentExit(sim, 4);
  assert.deepEqual(sim.emitted('agent-restart', effects).map((e) => e.delayMs), [100]);
  assert.equal(agentSpawns(effects).length, 0);
  assert.equal(sim.state.agent.proc, undefined);
  assert.equal(agentSpawns(sim.advance(sim.now + 99)).length, 0);
  assert.deepEqual(agentSpawns(sim.advance(sim.now + 1)).map((e) => e.wid), [5]);
  effects = agentExit(sim, 5);
  assert.deepEqual(sim.emitted('agent-restart', effects).map((e) => e.delayMs), [200]);
  sim.advance(sim.now + 200);
  const wid = sim.state.agent.proc.wid;

  // Up longer than minUptimeMs: the next restart is immediate again.
  sim.at(sim.now + 5_000);
  effects = agentExit(sim, wid);
  assert.deepEqual(sim.emitted('agent-restart', effects).map((e) => e.delayMs), [0]);
  assert.equal(agentSpawns(effects).length, 1);
  // The workers were never touched.
  assert.equal(sim.spawns().length, 2);
  assert.equal(sim.state.phase, 'running');
});

test('after maxRestarts within the window the agent is given up; the workers keep running', () => {
  const sim = running({ maxRestarts: 2, restartWindowMs: 10_000 });
  let wid = 1;
  for (let i = 0; i < 2; i++) {
    const effects = agentExit(sim, wid);
    wid = agentSpawns(effects)[0].wid;
  }
  const effects = agentExit(sim, wid);
  assert.deepEqual(sim.emitted('agent-gave-up', effects), [{ event: 'agent-gave-up', restarts: 2, windowMs: 10_000 }]);
  assert.equal(agentSpawns(effects).length, 0);
  assert.equal(sim.emitted('giveup').length, 0);
  assert.equal(sim.halts().length, 0);
  assert.equal(sim.state.phase, 'running');
  assert.equal(sim.state.workers.length, 2);
  // The app still stops normally without it.
  sim.send({ type: 'stop' });
  sim.exit(2, 0);
  assert.equal(sim.halts(sim.exit(3, 0)).length, 1);
});

test('the restart policy applies: on-failure does not restart an agent that exits 0', () => {
  const sim = running({ restart: 'on-failure' });
  assert.equal(agentSpawns(agentExit(sim, 1, 0)).length, 0);
  assert.equal(sim.emitted('agent-exit').at(-1).reason, 'exited');
  const other = running({ restart: 'on-failure' });
  assert.equal(agentSpawns(agentExit(other, 1, 3)).length, 1);
});

test('stop: the workers first, then the agent (stop signal, SIGKILL at the kill timeout), then halt', () => {
  const sim = running({ killTimeoutMs: 3_000, stopSignal: 'SIGINT' });
  let effects = sim.send({ type: 'stop' });
  assert.deepEqual(effects.filter((e) => e.type === 'stop-worker').map((e) => e.wid), [2, 3]);
  assert.equal(effects.filter((e) => e.type === 'stop-agent').length, 0, 'the agent outlives the draining workers');
  sim.exit(2, 0);
  effects = sim.exit(3, 0);
  assert.deepEqual(effects.filter((e) => e.type === 'stop-agent'), [{ type: 'stop-agent', wid: 1, signal: 'SIGINT' }]);
  assert.ok(effects.some((e) => e.type === 'arm' && e.key === 'agent-kill:1' && e.ms === 3_000));
  assert.equal(sim.halts(effects).length, 0);

  effects = sim.advance(sim.now + 3_000);
  assert.deepEqual(effects.filter((e) => e.type === 'kill'), [{ type: 'kill', wid: 1 }]);
  effects = agentExit(sim, 1, null, 'SIGKILL');
  assert.equal(sim.emitted('agent-exit', effects)[0].reason, 'killed');
  assert.equal(agentSpawns(effects).length, 0, 'never restarted while stopping');
  assert.equal(sim.halts(effects).length, 1);
  assert.equal(sim.state.phase, 'stopped');
});

test('stop: an agent that exits on the stop signal ends the stop; its kill timer is cancelled', () => {
  const sim = running();
  sim.send({ type: 'stop' });
  sim.exit(2, 0);
  sim.exit(3, 0);
  const effects = agentExit(sim, 1, null, 'SIGTERM');
  assert.equal(sim.emitted('agent-exit', effects)[0].reason, 'stopped');
  assert.ok(effects.some((e) => e.type === 'cancel' && e.key === 'agent-kill:1'));
  assert.deepEqual(sim.halts(effects), [{ type: 'halt', outcome: { exitCode: 0 } }]);
});

test('stop while an agent restart waits on its backoff: the restart is cancelled, nothing waits for an agent', () => {
  const sim = running({ restartDelayMs: 500, maxRestartDelayMs: 500 });
  const wid = agentSpawns(agentExit(sim, 1)).at(0).wid;
  agentExit(sim, wid);
  assert.equal(sim.state.agent.pending, true);
  const effects = sim.send({ type: 'stop' });
  assert.ok(effects.some((e) => e.type === 'cancel' && e.key === 'agent-restart'));
  sim.exit(2, 0);
  assert.equal(sim.halts(sim.exit(3, 0)).length, 1);
  assert.equal(agentSpawns(sim.advance(sim.now + 1_000)).length, 0);
});

test('forced stop: workers and agent are killed at once', () => {
  const sim = running();
  const effects = sim.send({ type: 'stop', force: true });
  assert.deepEqual(
    effects.filter((e) => e.type === 'kill').map((e) => e.wid),
    [2, 3, 1],
  );
  sim.exit(2, null, 'SIGKILL');
  sim.exit(3, null, 'SIGKILL');
  assert.equal(sim.halts().length, 0);
  assert.equal(sim.halts(agentExit(sim, 1, null, 'SIGKILL')).length, 1);
});

test('a worker that fails the first start stops the app, and the agent with it', () => {
  const sim = new Sim({ agent: AGENT, instances: 1 });
  sim.send({ type: 'start' });
  sim.send({ type: 'agent-spawned', wid: 1, pid: 900 });
  const effects = sim.exit(2, 1);
  assert.equal(sim.emitted('start-failed', effects).length, 1);
  assert.deepEqual(effects.filter((e) => e.type === 'stop-agent').map((e) => e.wid), [1]);
  assert.equal(sim.halts(agentExit(sim, 1, 0)).length, 1);
});

test('a rolling reload replaces the workers and leaves the agent alone', () => {
  const sim = running();
  const mark = sim.log.length;
  sim.send({ type: 'reload', spec: sim.spec });
  for (let i = 0; i < 10 && sim.state.reload; i++) {
    const effects = sim.log.slice(mark);
    for (const e of sim.spawns(effects)) if (sim.worker(e.wid)?.phase === 'starting') sim.boot(e.wid);
    for (const e of effects.filter((x) => x.type === 'stop-worker')) if (sim.worker(e.wid)) sim.exit(e.wid, 0);
  }
  const effects = sim.log.slice(mark);
  assert.equal(sim.emitted('reloaded', effects).length, 1);
  assert.equal(effects.filter((e) => e.type === 'spawn-agent' || e.type === 'stop-agent' || (e.type === 'kill' && e.wid === 1)).length, 0);
  assert.equal(sim.state.agent.proc.wid, 1);
});

test('exit events for an agent process that is not the current one are ignored', () => {
  const sim = running();
  assert.deepEqual(agentExit(sim, 42), []);
  assert.deepEqual(sim.send({ type: 'agent-spawned', wid: 42, pid: 1 }), []);
  assert.equal(sim.state.agent.proc.pid, 900);
});

test('an agent told to go (message abuse) gets the stop signal, SIGKILL at the deadline, and is restarted after its exit', () => {
  const sim = running({ killTimeoutMs: 2_000 });
  let effects = sim.send({ type: 'exiting', wid: 1, error: 'replaced for abusing the message channels: flood' });
  assert.deepEqual(sim.emitted('agent-crash', effects), [{ event: 'agent-crash', wid: 1, pid: 900, error: 'replaced for abusing the message channels: flood' }]);
  assert.deepEqual(effects.filter((e) => e.type === 'stop-agent'), [{ type: 'stop-agent', wid: 1, signal: 'SIGTERM' }]);
  assert.equal(sim.emitted('crash', effects).length, 0, 'no worker is involved');
  // It ignores the signal: killed at the deadline, and its exit still restarts it.
  assert.deepEqual(sim.advance(sim.now + 2_000).filter((e) => e.type === 'kill'), [{ type: 'kill', wid: 1 }]);
  effects = agentExit(sim, 1, null, 'SIGKILL');
  assert.equal(sim.emitted('agent-exit', effects)[0].reason, 'crashed');
  assert.equal(agentSpawns(effects).length, 1);
  assert.equal(sim.state.workers.length, 2);
});
