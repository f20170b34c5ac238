// @ts-check
// The supervisor core, step(state, event, now), driven with a fake clock
// (test/helpers/core.js): every decision is checked from its effects alone.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { RESTART_CASES, Sim } from '../helpers/core.js';

/** @typedef {import('../helpers/core.js').Effect} Effect */

/** @param {readonly Effect[]} effects */
const types = (effects) => effects.map((e) => e.type);

/** Events (or effects) match in number and order, each with at least the expected fields (they may grow more). */
function assertEvents(actual, expected) {
  assert.equal(actual.length, expected.length, `events: ${JSON.stringify(actual)}`);
  expected.forEach((fields, i) => {
    for (const [key, value] of Object.entries(fields)) assert.deepEqual(actual[i][key], value, `${fields.event ?? 'event'}.${key}`);
  });
}
/**
 * @param {readonly Effect[]} effects
 * @param {(e: Effect) => boolean} pred
 */
const indexOf = (effects, pred) => effects.findIndex(pred);

describe('start', () => {
  test('spawns one worker per instance in slots 0..N-1, each with a ready deadline', () => {
    const sim = new Sim({ instances: 3, readyTimeoutMs: 2_000 });
    const effects = sim.send({ type: 'start' });
    assert.deepEqual(
      sim.spawns(effects).map((e) => [e.wid, e.slot]),
      [
        [1, 0],
        [2, 1],
        [3, 2],
      ],
    );
    for (const wid of [1, 2, 3]) assert.ok(effects.some((e) => e.type === 'arm' && e.key === `ready:${wid}` && e.ms === 2_000));
    assert.equal(sim.state.phase, 'starting');
  });

  test("'started' comes once every worker is ready, not before", () => {
    const sim = new Sim({ instances: 2 });
    sim.send({ type: 'start' });
    sim.at(100).boot(1);
    assert.equal(sim.emitted('started').length, 0);
    sim.at(250);
    const effects = sim.boot(2);
    assertEvents(sim.emitted('started', effects), [{ event: 'started', workers: 2, durationMs: 250 }]);
    assert.equal(sim.state.phase, 'running');
    // Ready cancels the ready deadline.
    assert.ok(!sim.timers.has('ready:1') && !sim.timers.has('ready:2'));
  });

  test('lifecycle events carry wid, slot and pid', () => {
    const sim = new Sim();
    sim.send({ type: 'start' });
    const effects = [...sim.send({ type: 'spawned', wid: 1, pid: 4242, random: 0 }), ...sim.send({ type: 'online', wid: 1 }), ...sim.send({ type: 'listening', wid: 1, address: '[::]:3000' })];
    assert.deepEqual(
      sim.emitted(undefined, effects).map((e) => e.event),
      ['fork', 'online', 'listening', 'ready', 'started'],
    );
    for (const name of /** @type {const} */ (['fork', 'online', 'listening', 'ready'])) {
      const [e] = sim.emitted(name, effects);
      assert.deepEqual([e.wid, e.slot, e.pid], [1, 0, 4242], name);
    }
  });
});

describe('restart window and give-up', () => {
  test('exactly maxRestarts restarts within the window, then giveup and halt with exit code 71', () => {
    const sim = new Sim({ maxRestarts: 3, restartWindowMs: 10_000 });
    sim.startAll();
    const restarts = [];
    for (let i = 1; i <= 3; i++) {
      const wid = sim.inSlot(0);
      const effects = sim.at(i * 1_000).exit(wid, 1);
      restarts.push(...sim.emitted('restart', effects));
      const spawned = sim.spawns(effects);
      assert.equal(spawned.length, 1, `crash ${i} is restarted`);
      assert.equal(spawned[0].slot, 0, 'the replacement takes the same slot');
      sim.boot(spawned[0].wid);
    }
    assert.deepEqual(
      restarts.map((r) => r.restartsInWindow),
      [1, 2, 3],
    );
    assert.equal(sim.halts().length, 0);

    const effects = sim.at(4_000).exit(sim.inSlot(0), 1);
    assert.equal(sim.spawns(effects).length, 0, 'no fourth restart');
    assertEvents(sim.emitted('giveup', effects), [{ event: 'giveup', restarts: 3, windowMs: 10_000 }]);
    const halts = sim.halts(effects);
    assert.equal(halts.length, 1);
    assert.equal(halts[0].outcome.exitCode, 71);
    assert.equal(halts[0].outcome.error.code, 'DROVER_E_GIVEUP');
    assert.match(halts[0].outcome.error.message, /--max-restarts/);
    assert.equal(sim.emitted('restart').length, 3);
    assert.equal(sim.state.phase, 'stopped');
  });

  test('give-up stops the workers still running, and halts once they are gone', () => {
    const sim = new Sim({ instances: 2, maxRestarts: 1 });
    sim.startAll();
    sim.bootSpawned(sim.at(100).exit(1, 1));
    const effects = sim.at(200).exit(sim.inSlot(0), 1);
    assert.equal(sim.emitted('giveup', effects).length, 1);
    assert.deepEqual(
      effects.filter((e) => e.type === 'stop-worker').map((e) => e.wid),
      [2],
    );
    assert.equal(sim.halts(effects).length, 0, 'worker 2 still runs');
    const last = sim.at(300).exit(2, 0);
    assert.equal(sim.halts(last)[0].outcome.exitCode, 71);
  });

  test('maxRestarts 0 gives up at the first crash', () => {
    const sim = new Sim({ maxRestarts: 0 });
    sim.startAll();
    const effects = sim.at(5_000).exit(1, 1);
    assert.equal(sim.spawns(effects).length, 0);
    assert.equal(sim.emitted('giveup', effects).length, 1);
    assert.equal(sim.halts(effects)[0].outcome.exitCode, 71);
  });

  function slidingWindow(lastCrashAt) {
    const sim = new Sim({ maxRestarts: 2, restartWindowMs: 1_000 });
    sim.startAll();
    for (const at of [100, 200]) sim.bootSpawned(sim.at(at).exit(sim.inSlot(0), 1));
    return { sim, effects: sim.at(lastCrashAt).exit(sim.inSlot(0), 1) };
  }

  test('the window slides: a restart older than restartWindowMs no longer counts', () => {
    // Restarts at 100 and 200; at 1100 the one at 100 is exactly windowMs old and has expired.
    const { sim, effects } = slidingWindow(1_100);
    assert.equal(sim.spawns(effects).length, 1);
    assert.equal(sim.emitted('giveup', effects).length, 0);
    assert.equal(sim.emitted('restart', effects)[0].restartsInWindow, 2);
    sim.bootSpawned(effects);
    // Now 200 and 1100 are in the window: the next crash gives up.
    const next = sim.at(1_150).exit(sim.inSlot(0), 1);
    assertEvents(sim.emitted('giveup', next), [{ event: 'giveup', restarts: 2, windowMs: 1_000 }]);
    assert.equal(sim.halts(next)[0].outcome.exitCode, 71);
  });

  test('one ms earlier, both restarts are still in the window: give-up', () => {
    const { sim, effects } = slidingWindow(1_099);
    assert.equal(sim.spawns(effects).length, 0);
    assert.equal(sim.emitted('giveup', effects).length, 1);
    assert.equal(sim.halts(effects)[0].outcome.exitCode, 71);
  });
});

describe('backoff', () => {
  // Crashes the worker of slot 0 after `uptime` ms; returns the restart delay and
  // checks that the replacement is spawned exactly when the delay is over.
  /**
   * @param {Sim} sim
   * @param {number} uptime
   */
  function crashAfter(sim, uptime) {
    const wid = sim.inSlot(0);
    const effects = sim.at(sim.worker(wid).startedAt + uptime).exit(wid, 1);
    const [restart] = sim.emitted('restart', effects);
    let spawned = sim.spawns(effects);
    if (restart.delayMs > 0) {
      assert.equal(spawned.length, 0, 'no spawn before the delay');
      assert.equal(sim.timers.get('restart:0'), sim.now + restart.delayMs);
      assert.equal(sim.spawns(sim.advance(sim.now + restart.delayMs - 1)).length, 0);
      spawned = sim.spawns(sim.advance(sim.now + 1));
    }
    assert.equal(spawned.length, 1);
    assert.equal(spawned[0].slot, 0);
    sim.boot(spawned[0].wid);
    return restart.delayMs;
  }

  test('quick failures back off 0, base, 2·base, 4·base … capped', () => {
    const sim = new Sim({ restartDelayMs: 100, maxRestartDelayMs: 350, minUptimeMs: 1_000, maxRestarts: 100 });
    sim.startAll();
    const delays = [];
    for (let i = 0; i < 6; i++) delays.push(crashAfter(sim, 10));
    assert.deepEqual(delays, [0, 100, 200, 350, 350, 350]);
    assert.deepEqual(
      sim.emitted('restart').map((r) => r.attempt),
      [1, 2, 3, 4, 5, 6],
    );
  });

  test('the backoff resets after a worker ran for minUptimeMs', () => {
    const sim = new Sim({ restartDelayMs: 100, maxRestartDelayMs: 10_000, minUptimeMs: 1_000, maxRestarts: 100 });
    sim.startAll();
    const delays = [];
    for (let i = 0; i < 3; i++) delays.push(crashAfter(sim, 10));
    delays.push(crashAfter(sim, 999)); // not quite stable: still backing off
    delays.push(crashAfter(sim, 1_000)); // stable: starts over
    delays.push(crashAfter(sim, 10));
    assert.deepEqual(delays, [0, 100, 200, 400, 0, 100]);
  });

  test('backoff is per slot', () => {
    const sim = new Sim({ instances: 2, restartDelayMs: 100, maxRestartDelayMs: 1_000, maxRestarts: 100 });
    sim.startAll();
    sim.bootSpawned(sim.at(10).exit(sim.inSlot(0), 1));
    const slot0 = sim.emitted('restart', sim.at(20).exit(sim.inSlot(0), 1))[0];
    const slot1 = sim.emitted('restart', sim.at(30).exit(sim.inSlot(1), 1))[0];
    assert.deepEqual([slot0.slot, slot0.delayMs], [0, 100]);
    assert.deepEqual([slot1.slot, slot1.delayMs], [1, 0]);
  });
});

describe('stop', () => {
  test('stop-worker with the stop signal, then the kill timer fires a kill; the exit halts with 0', () => {
    const sim = new Sim({ killTimeoutMs: 5_000 });
    sim.startAll();
    const effects = sim.at(1_000).send({ type: 'stop' });
    assertEvents(sim.emitted('stopping', effects), [{ event: 'stopping', force: false }]);
    const stop = effects.find((e) => e.type === 'stop-worker');
    assertEvents([stop], [{ type: 'stop-worker', wid: 1, signal: 'SIGTERM' }]);
    assert.ok(effects.some((e) => e.type === 'arm' && e.key === 'kill:1' && e.ms === 5_000));
    assert.ok(indexOf(effects, (e) => e.type === 'stop-worker') < indexOf(effects, (e) => e.type === 'arm' && e.key === 'kill:1'));
    assert.equal(sim.halts(effects).length, 0);

    assert.deepEqual(types(sim.advance(5_999)), [], 'nothing before the deadline');
    assertEvents(sim.advance(6_000), [{ type: 'kill', wid: 1 }]);

    const exit = sim.at(6_010).exit(1, null, 'SIGKILL');
    const [event] = sim.emitted('exit', exit);
    assert.equal(event.reason, 'killed');
    assert.equal(event.signal, 'SIGKILL');
    assert.equal(sim.spawns(exit).length, 0);
    assert.deepEqual(sim.halts(exit), [{ type: 'halt', outcome: { exitCode: 0 } }]);
    assertEvents(sim.emitted('stopped', exit), [{ event: 'stopped', exitCode: 0 }]);
  });

  test('a worker that drains in time: the kill timer is cancelled, reason stopped', () => {
    const sim = new Sim({ instances: 2, killTimeoutMs: 5_000 });
    sim.startAll();
    sim.at(1_000).send({ type: 'stop' });
    assert.ok(sim.timers.has('kill:1') && sim.timers.has('kill:2'));
    const first = sim.at(1_200).exit(1, 0);
    assert.ok(first.some((e) => e.type === 'cancel' && e.key === 'kill:1'));
    assert.equal(sim.emitted('exit', first)[0].reason, 'stopped');
    assert.equal(sim.halts(first).length, 0, 'worker 2 is still draining');
    const second = sim.at(1_300).exit(2, 0);
    assert.deepEqual(sim.halts(second), [{ type: 'halt', outcome: { exitCode: 0 } }]);
    assert.deepEqual(types(sim.advance(100_000)), []);
    assert.equal(sim.log.filter((e) => e.type === 'kill').length, 0);
  });

  test('uses the configured stop signal', () => {
    const sim = new Sim({ stopSignal: 'SIGINT' });
    sim.startAll();
    assert.equal(sim.send({ type: 'stop' }).find((e) => e.type === 'stop-worker').signal, 'SIGINT');
  });

  test('a crash while stopping is not restarted', () => {
    const sim = new Sim({ instances: 2 });
    sim.startAll();
    sim.at(100).send({ type: 'stop' });
    const effects = sim.at(200).exit(1, 1);
    assert.equal(sim.spawns(effects).length, 0);
    assert.equal(sim.emitted('restart', effects).length, 0);
    assert.deepEqual(sim.halts(sim.exit(2, 0)), [{ type: 'halt', outcome: { exitCode: 0 } }]);
  });

  test('a second stop does nothing more; a forced stop kills every worker at once', () => {
    const sim = new Sim({ instances: 2 });
    sim.startAll();
    sim.at(100).send({ type: 'stop' });
    assert.deepEqual(types(sim.send({ type: 'stop' })), []);
    const forced = sim.at(200).send({ type: 'stop', force: true });
    assert.deepEqual(
      forced.filter((e) => e.type === 'kill').map((e) => e.wid),
      [1, 2],
    );
    sim.exit(1, null, 'SIGKILL');
    assert.deepEqual(sim.halts(sim.exit(2, null, 'SIGKILL')), [{ type: 'halt', outcome: { exitCode: 0 } }]);
    assert.equal(sim.halts().length, 1);
  });

  test('stop with no worker left halts at once', () => {
    const sim = new Sim({ restartDelayMs: 1_000, maxRestartDelayMs: 1_000 });
    sim.startAll();
    sim.bootSpawned(sim.at(10).exit(1, 1)); // restarted at once (first attempt)
    sim.at(20).exit(sim.inSlot(0), 1); // waits 1000 ms for its restart
    assert.equal(sim.state.workers.length, 0);
    const effects = sim.send({ type: 'stop' });
    assert.ok(effects.some((e) => e.type === 'cancel' && e.key === 'restart:0'));
    assert.deepEqual(sim.halts(effects), [{ type: 'halt', outcome: { exitCode: 0 } }]);
    assert.equal(sim.spawns(sim.advance(10_000)).length, 0);
  });
});

describe('restart policy and stopExitCodes', () => {
  for (const [restart, code, signal, restarted] of RESTART_CASES) {
    test(`restart ${restart}: exit ${signal ?? `code ${code}`} is ${restarted ? '' : 'not '}restarted`, () => {
      const sim = new Sim({ instances: 2, restart });
      sim.startAll();
      const effects = sim.at(5_000).exit(1, code, signal);
      assert.equal(sim.spawns(effects).length, restarted ? 1 : 0);
      assert.equal(sim.emitted('restart', effects).length, restarted ? 1 : 0);
      // Not restarted: the app runs on with one worker fewer.
      assert.equal(sim.state.desired, restarted ? 2 : 1);
      assert.equal(sim.state.phase, 'running');
    });
  }

  test('an exit code in stopExitCodes is never restarted, even with restart always', () => {
    const sim = new Sim({ instances: 2, restart: 'always', stopExitCodes: [0, 3] });
    sim.startAll();
    const first = sim.at(1_000).exit(1, 3);
    assert.equal(sim.spawns(first).length, 0);
    assert.equal(sim.emitted('restart', first).length, 0);
    assert.equal(sim.state.desired, 1);
    const second = sim.at(2_000).exit(2, 0);
    assert.equal(sim.spawns(second).length, 0);
    // Nothing left to run: the app ends, and that is not an error.
    assert.deepEqual(sim.halts(second), [{ type: 'halt', outcome: { exitCode: 0 } }]);
  });

  test('other exit codes are still restarted with stopExitCodes set', () => {
    const sim = new Sim({ instances: 2, stopExitCodes: [3] });
    sim.startAll();
    assert.equal(sim.spawns(sim.at(1_000).exit(1, 4)).length, 1);
    assert.equal(sim.spawns(sim.at(2_000).exit(2, null, 'SIGTERM')).length, 1);
  });

  test('the last worker ending by a stop exit code ends the app with exit 0', () => {
    const sim = new Sim({ stopExitCodes: [3] });
    sim.startAll();
    const effects = sim.at(1_000).exit(1, 3);
    assert.deepEqual(sim.halts(effects), [{ type: 'halt', outcome: { exitCode: 0 } }]);
  });
});

describe('first-boot failure', () => {
  test('a worker that exits before ready during the start fails the start (70), no restart', () => {
    const sim = new Sim({ instances: 2 });
    sim.send({ type: 'start' });
    sim.at(100).boot(1);
    sim.send({ type: 'spawned', wid: 2, pid: 2222, random: 0 });
    const effects = sim.at(150).exit(2, 1);
    assert.equal(sim.spawns(effects).length, 0, 'no retry');
    const [failed] = sim.emitted('start-failed', effects);
    assert.equal(failed.code, 'DROVER_E_WORKER_BOOT');
    assert.match(failed.message, /pid 2222\) exited with code 1 before it was ready/);
    // The ready worker is stopped, and the start halts once it is gone.
    assert.deepEqual(
      effects.filter((e) => e.type === 'stop-worker').map((e) => e.wid),
      [1],
    );
    assert.equal(sim.halts(effects).length, 0);
    const [halt] = sim.halts(sim.at(200).exit(1, 0));
    assert.equal(halt.outcome.exitCode, 70);
    assert.equal(halt.outcome.error.code, 'DROVER_E_WORKER_BOOT');
  });

  test('a single worker killed by a signal during boot fails the start with the signal named', () => {
    const sim = new Sim();
    sim.send({ type: 'start' });
    sim.send({ type: 'spawned', wid: 1, pid: 77, random: 0 });
    const [halt] = sim.halts(sim.at(30).exit(1, null, 'SIGSEGV'));
    assert.equal(halt.outcome.exitCode, 70);
    assert.match(halt.outcome.error.message, /killed by SIGSEGV/);
  });

  test("an 'exiting' crash before ready during the start is not replaced; its exit fails the start", () => {
    const sim = new Sim();
    sim.send({ type: 'start' });
    sim.send({ type: 'spawned', wid: 1, pid: 77, random: 0 });
    const crash = sim.send({ type: 'exiting', wid: 1, error: 'Error: boom' });
    assert.equal(sim.emitted('crash', crash).length, 1);
    assert.equal(sim.spawns(crash).length, 0);
    const [halt] = sim.halts(sim.exit(1, 1));
    assert.equal(halt.outcome.error.code, 'DROVER_E_WORKER_BOOT');
  });

  test('the ready timeout during the start stops the worker and fails with DROVER_E_READY_TIMEOUT (72)', () => {
    const sim = new Sim({ readyTimeoutMs: 3_000, killTimeoutMs: 1_000 });
    sim.send({ type: 'start' });
    sim.send({ type: 'spawned', wid: 1, pid: 77, random: 0 });
    sim.send({ type: 'online', wid: 1 });
    assert.deepEqual(types(sim.advance(2_999)), []);
    const fired = sim.advance(3_000);
    assertEvents([fired.find((e) => e.type === 'stop-worker')], [{ type: 'stop-worker', wid: 1, signal: 'SIGTERM' }]);
    const effects = sim.at(3_100).exit(1, 0);
    assert.equal(sim.emitted('exit', effects)[0].reason, 'ready-timeout');
    assert.equal(sim.spawns(effects).length, 0);
    const [halt] = sim.halts(effects);
    assert.equal(halt.outcome.exitCode, 72);
    assert.equal(halt.outcome.error.code, 'DROVER_E_READY_TIMEOUT');
    assert.match(halt.outcome.error.message, /--ready-timeout-ms/);
  });

  test('once running, a replacement that dies before ready is restarted, not a failed start', () => {
    const sim = new Sim({ maxRestarts: 5 });
    sim.startAll();
    const first = sim.at(2_000).exit(1, 1);
    const [spawn] = sim.spawns(first);
    sim.send({ type: 'spawned', wid: spawn.wid, pid: 99, random: 0 });
    const effects = sim.at(2_050).exit(spawn.wid, 1);
    assert.equal(sim.halts(effects).length, 0);
    assert.equal(sim.spawns(effects).length, 1);
  });

  test('a port in use during the start fails it with DROVER_E_PORT_IN_USE (69)', () => {
    const sim = new Sim();
    sim.send({ type: 'start' });
    sim.send({ type: 'spawned', wid: 1, pid: 77, random: 0 });
    const effects = sim.send({ type: 'listen-failed', wid: 1, code: 'DROVER_E_PORT_IN_USE', message: ':::3000 is already in use' });
    assert.equal(sim.emitted('start-failed', effects)[0].code, 'DROVER_E_PORT_IN_USE');
    const [halt] = sim.halts(sim.exit(1, 1));
    assert.equal(halt.outcome.exitCode, 69);
  });

  test('a spawn the OS refuses during the start fails with DROVER_E_SPAWN (74)', () => {
    const sim = new Sim();
    sim.send({ type: 'start' });
    const effects = sim.send({ type: 'spawn-failed', wid: 1, message: 'spawn EACCES' });
    const [halt] = sim.halts(effects);
    assert.equal(halt.outcome.exitCode, 74);
    assert.equal(halt.outcome.error.code, 'DROVER_E_SPAWN');
  });
});

describe('scale', () => {
  test('scale up spawns into the next free slots', () => {
    const sim = new Sim({ instances: 2 });
    sim.startAll();
    const effects = sim.at(100).send({ type: 'scale', instances: 4 });
    assertEvents(sim.emitted('scale', effects), [{ event: 'scale', from: 2, to: 4 }]);
    assert.deepEqual(
      sim.spawns(effects).map((e) => [e.wid, e.slot]),
      [
        [3, 2],
        [4, 3],
      ],
    );
  });

  test('scale down stops the oldest first, and freed slots are reused on the next scale up', () => {
    const sim = new Sim({ instances: 2 });
    sim.startAll();
    sim.bootSpawned(sim.at(100).send({ type: 'scale', instances: 4 }));
    const down = sim.at(200).send({ type: 'scale', instances: 2 });
    assert.deepEqual(
      down.filter((e) => e.type === 'stop-worker').map((e) => e.wid),
      [1, 2],
    );
    assert.equal(sim.spawns(down).length, 0);
    for (const wid of [1, 2]) {
      const exit = sim.exit(wid, 0);
      assert.equal(sim.spawns(exit).length, 0, 'a scaled-down worker is not restarted');
      assert.equal(sim.emitted('exit', exit)[0].reason, 'stopped');
    }
    const up = sim.at(300).send({ type: 'scale', instances: 3 });
    assert.deepEqual(
      sim.spawns(up).map((e) => e.slot),
      [0],
    );
    assert.deepEqual(
      sim.state.workers.map((w) => w.slot).sort(),
      [0, 2, 3],
    );
  });

  test('a scale up right after a scale down takes the slot of the worker still stopping', () => {
    const sim = new Sim({ instances: 2 });
    sim.startAll();
    sim.at(100).send({ type: 'scale', instances: 1 }); // worker 1 (slot 0) stopping
    const up = sim.send({ type: 'scale', instances: 2 });
    assert.deepEqual(
      sim.spawns(up).map((e) => e.slot),
      [0],
    );
    // A stopping worker no longer counts: its slot goes to the newcomer, as to a crash replacement.
    assert.deepEqual(
      sim.state.workers.map((w) => [w.wid, w.slot, w.phase]),
      [
        [1, 0, 'stopping'],
        [2, 1, 'ready'],
        [3, 0, 'starting'],
      ],
    );
  });

  test('scale down cancels a pending restart before stopping a running worker', () => {
    const sim = new Sim({ instances: 2, restartDelayMs: 500, maxRestartDelayMs: 500 });
    sim.startAll();
    sim.bootSpawned(sim.at(10).exit(2, 1)); // slot 1 restarted at once
    sim.at(20).exit(sim.inSlot(1), 1); // slot 1 now waits 500 ms
    assert.ok(sim.timers.has('restart:1'));
    const down = sim.send({ type: 'scale', instances: 1 });
    assert.ok(down.some((e) => e.type === 'cancel' && e.key === 'restart:1'));
    assert.equal(down.filter((e) => e.type === 'stop-worker').length, 0);
    assert.equal(sim.spawns(sim.advance(10_000)).length, 0);
    assert.deepEqual(
      sim.state.workers.map((w) => w.wid),
      [1],
    );
  });

  test('scaling to the current count changes nothing', () => {
    const sim = new Sim({ instances: 2 });
    sim.startAll();
    assert.deepEqual(types(sim.send({ type: 'scale', instances: 2 })), []);
  });
});

describe("crash announced with 'exiting'", () => {
  test('the replacement is spawned before the old worker is told to stop', () => {
    const sim = new Sim({ killTimeoutMs: 4_000 });
    sim.startAll();
    const effects = sim.at(5_000).send({ type: 'exiting', wid: 1, error: 'Error: boom\n    at handler' });
    assertEvents(sim.emitted('crash', effects), [{ event: 'crash', wid: 1, slot: 0, pid: 1000, error: 'Error: boom\n    at handler' }]);
    const spawnAt = indexOf(effects, (e) => e.type === 'spawn');
    const stopAt = indexOf(effects, (e) => e.type === 'stop-worker' && e.wid === 1);
    assert.ok(spawnAt >= 0 && stopAt >= 0, 'both a spawn and a stop-worker');
    assert.ok(spawnAt < stopAt, `spawn (${spawnAt}) before stop-worker (${stopAt}): ${types(effects).join(', ')}`);
    assertEvents([effects[spawnAt]], [{ type: 'spawn', wid: 2, slot: 0 }]);
    assert.ok(effects.some((e) => e.type === 'arm' && e.key === 'kill:1' && e.ms === 4_000));

    // The old worker's exit restarts nothing more.
    sim.boot(2);
    const exit = sim.at(5_500).exit(1, 1);
    assert.equal(sim.emitted('exit', exit)[0].reason, 'crashed');
    assert.equal(sim.spawns(exit).length, 0);
    assert.equal(sim.emitted('restart').length, 1);
    assert.deepEqual(
      sim.state.workers.map((w) => [w.wid, w.phase]),
      [[2, 'ready']],
    );
  });

  test('a second exiting from the same worker is ignored', () => {
    const sim = new Sim();
    sim.startAll();
    sim.at(1_000).send({ type: 'exiting', wid: 1, error: 'a' });
    assert.deepEqual(types(sim.send({ type: 'exiting', wid: 1, error: 'b' })), []);
  });

  test('announced crashes count towards the restart window', () => {
    const sim = new Sim({ maxRestarts: 1 });
    sim.startAll();
    sim.boot(sim.spawns(sim.at(1_000).send({ type: 'exiting', wid: 1, error: 'x' }))[0].wid);
    const effects = sim.at(2_000).send({ type: 'exiting', wid: 2, error: 'y' });
    assert.equal(sim.spawns(effects).length, 0);
    assert.equal(sim.emitted('giveup', effects).length, 1);
    sim.exit(1, 1);
    assert.equal(sim.halts(sim.exit(2, 1))[0].outcome.exitCode, 71);
  });
});
