// The daemon's idle GC (daemon/idle-gc.ts): one round of GCs once commands stop coming,
// none while they keep coming (debounced), nothing without V8's gc.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IdleGc } from '../../dist/daemon/idle-gc.js';
import { holdsFor, waitFor } from '../helpers/wait.js';

test('a burst of commands is followed by one round of GCs, after the last', async () => {
  let runs = 0;
  const idle = new IdleGc(() => runs++, 20);
  for (let i = 0; i < 5; i++) idle.touch();
  assert.equal(runs, 0, 'not while the burst runs');
  await waitFor(() => runs === 2, { timeoutMs: 5_000, message: 'the idle GCs' });
  idle.touch();
  await waitFor(() => runs === 4, { timeoutMs: 5_000, message: 'the idle GCs after the next burst' });
});

test('commands that keep coming put the GC off: it runs once, after the last', async () => {
  let runs = 0;
  const idle = new IdleGc(() => runs++, 1_000);
  // Commands 20 ms apart, well inside the 1 s quiet time the GC waits for.
  for (let i = 0; i < 10; i++) {
    idle.touch();
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(runs, 0, 'no GC while commands come');
  await waitFor(() => runs === 2, { timeoutMs: 10_000, message: 'the idle GCs' });
  await holdsFor(() => runs === 2, 300, { message: 'one round for the burst' });
});

test('without an exposed gc it does nothing', () => {
  const idle = new IdleGc(undefined, 1);
  assert.doesNotThrow(() => idle.touch());
});
