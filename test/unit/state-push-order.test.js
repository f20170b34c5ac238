// The store's write path (issue 12, set latency): the writer's reply is made
// before any push to watchers (pushes leave at the end of the turn's
// synchronous work, after the hub has flushed the reply; a writer in the
// master's process has no reply to write, and its first change of a turn is
// pushed in the write), the changes of one
// turn reach a watcher as one batch, shared by every watcher with the same
// events; the watchers of a key follow watches and processes as they come and
// go; a set's header is read without JSON.parse exactly as JSON.parse reads it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StateServer } from '../../dist/state/server.js';
import { memoryBackend } from '../../dist/state/memory-backend.js';
import { parseRequest, setText } from '../../dist/state/wire.js';

async function watched(server, who, pattern, session = who) {
  const got = [];
  await server.handle(JSON.stringify({ op: 'watch', id: 1, p: pattern, s: session }), who, (batch) => void got.push(batch));
  got.length = 0; // the registration's sync events
  return got;
}

test('a set answers before it pushes: nothing is delivered inside handle(), the push follows in the same turn', async () => {
  const server = new StateServer(() => memoryBackend());
  const order = [];
  await server.handle(JSON.stringify({ op: 'watch', id: 1, p: 'k', s: 'a' }), 'a', () => void order.push('push'));
  order.length = 0;
  const reply = server.handle('{"op":"set","key":"k"}\n1', 'w', () => undefined);
  assert.equal(typeof reply, 'string', 'a local backend answers in the same tick');
  order.push('reply');
  // Before any macrotask: a microtask later the push has gone.
  await new Promise((r) => queueMicrotask(r));
  assert.deepEqual(order, ['reply', 'push']);
  await server.close();
});

test('a set from this process (the master\'s own client) pushes in the write; the rest of its turn follows as one batch, in rev order', async () => {
  const server = new StateServer(() => memoryBackend());
  const order = [];
  await server.handle(JSON.stringify({ op: 'watch', id: 1, p: 'k*', s: 'a' }), 'a', (batch) => void order.push(batch));
  order.length = 0;
  for (let i = 1; i <= 3; i++) {
    const reply = server.handle(`{"op":"set","key":"k${i}"}\n${i}`, 'master', () => undefined, true);
    assert.equal(typeof reply, 'string');
    order.push(`reply ${i}`);
  }
  await new Promise((r) => setImmediate(r));
  const text = (x) => (x.startsWith('[') ? JSON.parse(x).map((e) => `${e.e.key}@${e.e.rev}`).join(' ') : x);
  assert.deepEqual(order.map(text), ['k1@1', 'reply 1', 'reply 2', 'reply 3', 'k2@2 k3@3']);
  // A new turn: its first in-process change goes at once again; a worker's (not in process) waits for the end of the turn.
  order.length = 0;
  server.handle('{"op":"set","key":"k4"}\n4', 'master', () => undefined, true);
  order.push('reply 4');
  server.handle('{"op":"set","key":"k5"}\n5', 'w', () => undefined);
  order.push('reply 5');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order.map(text), ['k4@4', 'reply 4', 'reply 5', 'k5@5']);
  await server.close();
});

test('changes made in one turn reach each watcher as one batch, in rev order, the same string for every watcher', async () => {
  const server = new StateServer(() => memoryBackend());
  const a = await watched(server, 'a', 'k*');
  const b = await watched(server, 'b', 'k*');
  for (let i = 1; i <= 3; i++) server.handle(`{"op":"set","key":"k${i}"}\n${i}`, 'w', () => undefined);
  await new Promise((r) => setImmediate(r));
  assert.equal(a.length, 1);
  assert.deepEqual(JSON.parse(a[0]).map((e) => [e.e.key, e.e.rev]), [['k1', 1], ['k2', 2], ['k3', 3]]);
  assert.equal(b[0], a[0]);
  await server.close();
});

test('the watchers of a key follow watches, unwatches and new processes', async () => {
  const server = new StateServer(() => memoryBackend());
  const set = async (v) => {
    await server.handle(`{"op":"set","key":"k"}\n${v}`, 'w', () => undefined);
    await new Promise((r) => setImmediate(r));
  };
  await set(0);
  const a = await watched(server, 'a', 'k');
  await set(1);
  const b = await watched(server, 'b', 'k*');
  await set(2);
  await server.handle(JSON.stringify({ op: 'unwatch', id: 1, s: 'a' }), 'a', () => undefined);
  await set(3);
  // A new process in b's slot (a new session): the old one's watches go with it.
  const b2 = await watched(server, 'b', 'k', 'b-new');
  await set(4);
  const values = (got) => got.flatMap((batch) => JSON.parse(batch).map((e) => e.e.value));
  assert.deepEqual(values(a), [1, 2]);
  assert.deepEqual(values(b), [2, 3]);
  assert.deepEqual(values(b2), [4]);
  await server.close();
});

test('a set header is read as JSON.parse reads it, fast path or not', () => {
  const keys = ['k', 'user:42', 'a"b', 'back\\slash', 'é😀', '\n', 'tab\there', '\u2028'];
  for (const key of keys) {
    for (const ifVersion of [undefined, 0, 7, 123456789]) {
      for (const update of [false, true]) {
        for (const bare of [false, true]) {
          const text = setText(key, ifVersion, update, '{"x":"\\n","y":[1,2]}', bare);
          const nl = text.indexOf('\n');
          assert.deepEqual(parseRequest(text), { header: JSON.parse(text.slice(0, nl)), value: text.slice(nl + 1) }, text);
        }
      }
    }
  }
  // Not setText's form: read in full, as before (or rejected as before).
  assert.deepEqual(parseRequest('{"op":"set","key":"k" , "if":2}\n1').header, { op: 'set', key: 'k', if: 2 });
  assert.deepEqual(parseRequest('{"op":"set","key":"k","if":-1}\n1').header, { op: 'set', key: 'k', if: -1 });
  assert.throws(() => parseRequest('{"op":"set","key":"k","if":01}\n1'));
  assert.throws(() => parseRequest('{"op":"set","key":"k\n1'));
  assert.deepEqual(parseRequest('{"op":"get","key":"k"}'), { header: { op: 'get', key: 'k' }, value: undefined });
});
