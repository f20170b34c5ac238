// A worker's state requests travel as state frames (Kind.state), answered by
// the master's store from the hub's read loop, not through the generic
// request topic: with the worker's topic requests made to fail, every
// operation of a worker still works; malformed state requests are answered
// with an error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startStateApp } from '../helpers/state.js';
import { tempDir } from '../helpers/tmp.js';

test('set, get, update, delete and watch of a worker go by state frames, not the request topic', async (t) => {
  const app = await startStateApp(t, { instances: 2, stateBackend: 'file', stateDir: tempDir(t) });
  for (const w of [0, 1]) await app.ask(w, 'no-state-topic', {});
  const before = app.sup['hub'].counts.request;
  await app.ask(1, 'watch', { pattern: 'f:*' });
  const a = await app.ask(0, 'set', { key: 'f:a', value: { n: 1 } });
  assert.equal(a.version, 1);
  assert.deepEqual((await app.ask(1, 'get', { key: 'f:a' })).value, { n: 1 });
  assert.deepEqual(await Promise.all([0, 1].map((w) => app.ask(w, 'storm', { key: 'f:n', n: 20 }))), [20, 20]);
  assert.equal((await app.sup.store.get('f:n')).value, 40);
  await assert.rejects(app.ask(1, 'set', { key: 'f:a', value: 2, ifVersion: 7 }), (err) => err.code === 'DROVER_E_STATE_CONFLICT' && err.details.entry.version === 1);
  assert.equal(await app.ask(0, 'delete', { key: 'f:a' }), true);
  // Hostile state frames get an error reply; the master and the store carry on.
  for (const text of ['', 'not json', '{"op":"nope"}', '{"op":"set","key":"f:x"}\n{broken', '{"op":"set","key":"a*b"}\n1', 'null']) {
    const reply = JSON.parse(await app.ask(0, 'raw-state', { text }));
    assert.equal(reply.ok, 0, text);
    assert.match(reply.code, /^DROVER_E_STATE_(VALUE|LIMIT)$/, text);
  }
  assert.equal((await app.ask(1, 'set', { key: 'f:after', value: 1 })).version, 1);
  // State frames count as requests in drover_messages_total.
  assert.ok(app.sup['hub'].counts.request - before >= 40);
  await app.stop();
});
