// Replacements for abusing the message channels are counted apart from crashes (issue 15).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sim } from '../helpers/core.js';

/** The worker in slot 0 is replaced for abuse; its replacement boots and the old one exits. */
function abuse(sim) {
  const wid = sim.inSlot(0);
  const effects = sim.send({ type: 'exiting', wid, error: 'replaced for abusing the message channels: flood', abuse: true });
  sim.bootSpawned(effects);
  sim.exit(wid, 0, 'SIGTERM');
  return effects;
}

function crash(sim) {
  const effects = sim.exit(sim.inSlot(0), 1);
  sim.bootSpawned(effects);
  return effects;
}

test('abuse replacements do not use up the crash window', () => {
  const sim = new Sim({ maxRestarts: 2 });
  sim.startAll();
  abuse(sim);
  abuse(sim);
  assert.equal(sim.halts().length, 0);
  crash(sim);
  crash(sim);
  assert.equal(sim.halts().length, 0, 'two crashes are within maxRestarts 2, whatever the abuse before');
  crash(sim);
  const [giveup] = sim.halts();
  assert.equal(giveup.outcome.error.code, 'DROVER_E_GIVEUP');
  assert.match(giveup.outcome.error.message, /workers crashed 3 times/);
});

test('abuse has its own bound: too many abuse replacements give up, with their own message', () => {
  const sim = new Sim({ maxRestarts: 2 });
  sim.startAll();
  abuse(sim);
  abuse(sim);
  crash(sim);
  assert.equal(sim.halts().length, 0);
  abuse(sim);
  const [giveup] = sim.halts();
  assert.ok(giveup, 'a third abuse replacement within the window gives up');
  assert.match(giveup.outcome.error.message, /replaced 3 times within 60000 ms for abusing the message channels/);
});
