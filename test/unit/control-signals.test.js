// The one signal table of every app master (control/signals.ts), decided purely.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MASTER_SIGNALS, scaledCount, signalAction } from '../../dist/control/signals.js';

test('each signal maps to one command; a second stop signal forces', () => {
  assert.deepEqual(signalAction('SIGTERM', 0), { command: 'stop', force: false });
  assert.deepEqual(signalAction('SIGINT', 0), { command: 'stop', force: false });
  assert.deepEqual(signalAction('SIGQUIT', 0), { command: 'stop', force: true });
  assert.deepEqual(signalAction('SIGTERM', 1), { command: 'stop', force: true });
  assert.deepEqual(signalAction('SIGINT', 1), { command: 'stop', force: true }, 'whichever signal came first');
  assert.deepEqual(signalAction('SIGHUP', 0), { command: 'reload' });
  assert.deepEqual(signalAction('SIGHUP', 1), { command: 'reload' }, 'only stops escalate');
  assert.deepEqual(signalAction('SIGTTIN', 0), { command: 'scale', by: 1 });
  assert.deepEqual(signalAction('SIGTTOU', 0), { command: 'scale', by: -1 });
});

test('SIGUSR1 is not in the table (it opens the inspector); scale never goes below one worker', () => {
  assert.ok(!('SIGUSR1' in MASTER_SIGNALS));
  assert.deepEqual(Object.keys(MASTER_SIGNALS).sort(), ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGTERM', 'SIGTTIN', 'SIGTTOU']);
  assert.equal(scaledCount(3, 1), 4);
  assert.equal(scaledCount(3, -1), 2);
  assert.equal(scaledCount(1, -1), 1);
});
