// The store's push path turn after turn (issue 12, fan-out): a watcher's queue
// is emptied in place and the list of watchers to flush is reused, so these
// check what that must not change: each change reaches each watcher once, in
// rev order, never again in a later batch; a watcher whose push was held, or
// failed for a full queue, gets what it missed (the changes in order, or a
// reset with the current state) and then single changes again; and in the
// client, a change's entry is the replica's own object, never replaced by an
// older event.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StateServer } from '../../dist/state/server.js';
import { StateClient } from '../../dist/state/client.js';
import { memoryBackend } from '../../dist/state/memory-backend.js';
import { DroverError } from '../../dist/errors.js';
import { waitFor } from '../helpers/wait.js';

const set = (server, key, value) => server.handle(`{"op":"set","key":"${key}"}\n${value}`, 'w', () => undefined);
const turn = () => new Promise((r) => setImmediate(r));
const events = (batches) => batches.flatMap((b) => JSON.parse(b));

async function watcher(server, who, deliver) {
  const reply = await server.handle(JSON.stringify({ op: 'watch', id: 1, p: 'k', s: who }), who, deliver);
  assert.equal(JSON.parse(reply).ok, 1);
}

test('one change a turn, 50 turns: every watcher gets each change once, alone, in rev order, the same text as the others', async () => {
  const server = new StateServer(() => memoryBackend());
  const got = { a: [], b: [], c: [] };
  for (const who of Object.keys(got)) await watcher(server, who, (batch) => void got[who].push(batch));
  for (const who of Object.keys(got)) got[who].length = 0; // the registration's sync events
  for (let i = 1; i <= 50; i++) {
    set(server, 'k', i);
    await turn();
  }
  for (const who of Object.keys(got)) {
    assert.equal(got[who].length, 50, `${who}: one batch per turn`);
    assert.deepEqual(
      got[who].map((b) => JSON.parse(b).map((e) => e.e.value)),
      Array.from({ length: 50 }, (_, i) => [i + 1]),
      `${who}: each change once, alone, in order`,
    );
  }
  for (let i = 0; i < 50; i++) assert.ok(got.a[i] === got.b[i] && got.b[i] === got.c[i], 'the same batch for every watcher');
  await server.close();
});

test('a held push: the changes behind it leave together and in order, then single changes again, none twice', async () => {
  const server = new StateServer(() => memoryBackend());
  const got = [];
  let release;
  let hold = false;
  await watcher(server, 'a', (batch) => {
    got.push(batch);
    if (!hold) return undefined;
    hold = false;
    return new Promise((r) => (release = r));
  });
  got.length = 0;
  hold = true;
  set(server, 'k', 1);
  await turn();
  for (let i = 2; i <= 4; i++) {
    set(server, 'k', i);
    await turn();
  }
  assert.deepEqual(got.map((b) => JSON.parse(b).map((e) => e.e.value)), [[1]], 'held behind the first push');
  release();
  await turn();
  for (let i = 5; i <= 6; i++) {
    set(server, 'k', i);
    await turn();
  }
  assert.deepEqual(got.map((b) => JSON.parse(b).map((e) => e.e.value)), [[1], [2, 3, 4], [5], [6]]);
  const revs = events(got).map((e) => e.e.rev);
  assert.deepEqual(revs, [...revs].sort((x, y) => x - y), 'rev order');
  assert.equal(new Set(revs).size, revs.length, 'no change twice');
  await server.close();
});

test('a push that fails for a full queue: the watcher gets a reset with the current state, then the next changes in order (no silent gap)', async () => {
  const server = new StateServer(() => memoryBackend());
  const got = [];
  let fail = false;
  await watcher(server, 'a', (batch) => {
    got.push(batch);
    if (!fail) return undefined;
    fail = false;
    return Promise.reject(new DroverError('DROVER_E_MSG_OVERFLOW', 'not keeping up'));
  });
  got.length = 0;
  fail = true;
  set(server, 'k', 1); // lost: its push fails
  await turn();
  set(server, 'k', 2); // missed while the watcher is marked for a reset
  await turn();
  // The retry (100 ms later) sends the state of now as a reset.
  await waitFor(() => got.length >= 2, { timeoutMs: 5_000, message: 'the reset' });
  const reset = JSON.parse(got[1]);
  assert.equal(reset.length, 1);
  assert.equal(reset[0].t, 'reset');
  assert.deepEqual(reset[0].es.map((e) => [e.key, e.value]), [['k', 2]]);
  set(server, 'k', 3);
  await turn();
  assert.deepEqual(JSON.parse(got.at(-1)).map((e) => [e.t, e.e.value]), [['put', 3]], 'then single changes again');
  assert.equal(got.length, 3);
  await server.close();
});

test('client: a watcher gets the replica\'s own entry (what peek() returns); an older event after a newer one changes neither', async () => {
  let push;
  const transport = {
    request: async (text) => (JSON.parse(text.split('\n')[0]).op === 'watch' ? '{"ok":1,"rev":0,"epoch":7}' : '{"ok":1}'),
    listen: (fn) => (push = fn),
  };
  const client = new StateClient(transport);
  const seen = [];
  client.watch('k', (ev) => seen.push(ev));
  await turn();
  push('[{"t":"synced","w":1,"rev":0,"up":true}]');
  const put = (rev, value) => `{"t":"put","e":{"key":"k","version":${rev},"rev":${rev},"epoch":7,"value":${JSON.stringify(value)}}}`;
  push(`[${put(1, { n: 1 })}]`);
  assert.equal(seen.length, 1);
  assert.equal(seen[0].entry, client.peek('k'), 'the same object');
  assert.ok(Object.isFrozen(seen[0].entry) && Object.isFrozen(seen[0].entry.value), 'frozen');
  push(`[${put(3, { n: 3 })}]`);
  const newest = client.peek('k');
  assert.equal(newest.rev, 3);
  assert.equal(seen[1].entry, newest);
  // A stale event (rev 2, after 3): no callback, the replica keeps rev 3 and its object.
  push(`[${put(2, { n: 2 })}]`);
  assert.equal(seen.length, 2);
  assert.equal(client.peek('k'), newest);
  assert.equal(client.status().rev, 3);
});
