// What drover does as PID 1 about zombies, decided from the facts alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isContainer, NO_REAPER_WARNING, planReaper } from '../../dist/platform/pid1.js';

test('not PID 1: nothing to do, whatever else holds', () => {
  assert.deepEqual(planReaper({ pid: 42, tini: '/usr/bin/tini', hasExecve: true, env: {} }), { kind: 'none' });
});

test('PID 1 with tini: execve into it where Node has process.execve, else start it as a subreaper', () => {
  assert.deepEqual(planReaper({ pid: 1, tini: '/usr/bin/tini', hasExecve: true, env: {} }), { kind: 'execve', tini: '/usr/bin/tini' });
  assert.deepEqual(planReaper({ pid: 1, tini: '/usr/bin/tini', hasExecve: false, env: {} }), { kind: 'spawn', tini: '/usr/bin/tini' });
});

test('PID 1 without tini, or with DROVER_REAPER=off: a warning that says what to do', () => {
  for (const facts of [
    { pid: 1, tini: undefined, hasExecve: true, env: {} },
    { pid: 1, tini: '/usr/bin/tini', hasExecve: true, env: { DROVER_REAPER: 'off' } },
  ]) {
    const plan = planReaper(facts);
    assert.equal(plan.kind, 'warn');
    assert.equal(plan.message, NO_REAPER_WARNING);
  }
  assert.match(NO_REAPER_WARNING, /install tini/);
  assert.match(NO_REAPER_WARNING, /docker run --init/);
});

test('container mode: PID 1 or DROVER_CONTAINER=1', () => {
  assert.equal(isContainer({}, 1), true);
  assert.equal(isContainer({ DROVER_CONTAINER: '1' }, 7), true);
  assert.equal(isContainer({}, 7), false);
});
