// A remote backend (redis) in one process, faked: the master fans its own
// write out when the write's reply comes, if it is the next change in rev
// order, without waiting for the feed; a change further ahead waits for the
// feed (the ones before it come first), and the feed's copy of a change
// already sent is not sent again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StateServer } from '../../dist/state/server.js';
import { StateClient } from '../../dist/state/client.js';
import { localTransport } from '../../dist/state/local-transport.js';
import { requestText } from '../../dist/state/wire.js';

const tick = () => new Promise((r) => setImmediate(r));

/** A backend whose revs the test controls: write() takes the next rev, or one the test reserved for "another master". */
function fakeRemote() {
  let rev = 0;
  let feed;
  const fake = {
    kind: 'remote',
    async open(f) {
      feed = f;
      return { entries: [], rev: 0 };
    },
    async write(op) {
      const r = ++rev;
      return { ok: true, change: { type: 'put', entry: { key: op.key, json: op.json, version: r, rev: r } } };
    },
    async close() {},
    /** A change made through another master: it takes a rev, and its feed entry comes when the test says. */
    elsewhere(key, value) {
      const r = ++rev;
      return { type: 'put', entry: { key, json: JSON.stringify(value), version: r, rev: r } };
    },
    deliver: (c) => feed.change(c),
    flush: () => feed.flush(),
  };
  return fake;
}

async function world() {
  const backend = fakeRemote();
  const server = new StateServer(() => backend);
  const writer = new StateClient(localTransport(server, 'writer'));
  const watcher = new StateClient(localTransport(server, 'watcher'));
  const seen = [];
  watcher.watch('k*', (ev) => seen.push(ev.type === 'put' ? `${ev.entry.key}=${ev.entry.value}@${ev.rev}` : ev.type));
  for (let i = 0; i < 20 && watcher.status().rev === 0 && !seen.length; i++) await tick();
  await watcher.get('k0');
  return { backend, server, writer, watcher, seen };
}

test('remote: a write that is the next rev reaches watchers with its reply; the feed copy is not sent twice', async () => {
  const { backend, writer, seen } = await world();
  const e = await writer.set('k1', 'a');
  assert.equal(e.rev, 1);
  await tick();
  assert.deepEqual(seen, ['k1=a@1'], 'out before the feed brought it');
  backend.deliver({ type: 'put', entry: { key: 'k1', json: '"a"', version: 1, rev: 1 } });
  await tick();
  assert.deepEqual(seen, ['k1=a@1'], 'the feed copy is skipped');
});

test('remote: a write ahead of a change the feed has not brought yet waits for it, and order holds', async () => {
  const { backend, writer, seen } = await world();
  const other = backend.elsewhere('k2', 'from-elsewhere'); // rev 1, not yet on this master's feed
  const mine = await writer.set('k3', 'mine'); // rev 2
  assert.equal(mine.rev, 2);
  await tick();
  assert.deepEqual(seen, [], 'rev 2 is not sent before rev 1');
  backend.deliver(other);
  backend.deliver({ type: 'put', entry: { key: 'k3', json: '"mine"', version: 2, rev: 2 } });
  await tick();
  assert.deepEqual(seen, ['k2=from-elsewhere@1', 'k3=mine@2']);
});

test('remote: the feed\'s flush pushes its changes before it returns (the tail writes its next read after the fan-out)', async () => {
  const backend = fakeRemote();
  const server = new StateServer(() => backend);
  const pushed = [];
  const reply = JSON.parse(await server.handle(requestText({ op: 'watch', id: 1, p: 'k*', s: 'session' }), 'w', (batch) => (pushed.push(batch), undefined)));
  assert.equal(reply.ok, 1);
  pushed.length = 0;
  backend.deliver(backend.elsewhere('k1', 'x'));
  assert.deepEqual(pushed, [], 'a change alone waits for the end of the turn');
  backend.flush();
  assert.equal(pushed.length, 1, 'pushed by flush, in this turn');
  assert.deepEqual(JSON.parse(pushed[0]).map((e) => [e.t, e.e.key, e.e.rev]), [['put', 'k1', 1]]);
  await tick();
  assert.equal(pushed.length, 1, 'the end of the turn finds nothing left to push');
  await server.close();
});
