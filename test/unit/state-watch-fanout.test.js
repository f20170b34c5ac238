// The store's push path (issue 12, fan-out latency): a change to several
// watchers is one batch string, which the master's endpoint encodes once and
// writes to every connection with room as the same bytes in the same turn;
// a receiver without room (or not connected) takes send()'s promise, and the
// server holds what follows for it until that promise settles, in rev order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StateServer } from '../../dist/state/server.js';
import { memoryBackend } from '../../dist/state/memory-backend.js';
import { MasterEndpoint } from '../../dist/messaging/master-endpoint.js';
import { ADDR_WORKERS } from '../../dist/messaging/envelope.js';
import { parseEnvelope } from '../../dist/messaging/envelope.js';
import { decodePayload } from '../../dist/messaging/frame.js';

const TOPIC = 'drover.state.ev';
const tick = () => new Promise((r) => setImmediate(r));

/** A master endpoint over fake connections: what it writes, to whom. */
function endpoint(addrs) {
  const writes = [];
  const conns = new Map(addrs.map((addr) => [addr, { addr, closed: false, subs: new Set([TOPIC]), full: false, drainWaiters: new Set(), masterWaiting: 0, reg: { role: 'worker' } }]));
  const core = {
    rpc: undefined,
    write: (c, frame) => writes.push({ addr: c.addr, frame }),
    writeNow: (c, frame) => writes.push({ addr: c.addr, frame, now: true }),
    full: (c) => c.full,
    block() {},
    unblock() {},
    nack() {},
    violation() {},
    subscribers: () => [...conns.values()],
    target: (addr) => conns.get(addr),
    connected: async (addr) => conns.get(addr),
    nextRouteSeq: () => 1,
    addRoute: () => 1,
  };
  const ep = new MasterEndpoint({ serialization: 'v8', maxMessageBytes: 1 << 20, maxQueueBytes: 1 << 20, overflow: 'wait', requestTimeoutMs: 1000, maxPendingRequests: 10, log: undefined }, core);
  return { api: ep.api, writes, conns };
}

test('sendNow: one payload to several receivers in one turn is encoded once, the same bytes written to each, no promise', async () => {
  const { api, writes } = endpoint([0, 1, 2, 3]);
  const batch = '[{"t":"put","e":{"key":"k","version":1,"rev":1,"epoch":1,"value":{"x":1}}}]';
  const results = [0, 1, 2, 3].map((w) => api.sendNow(w, TOPIC, batch));
  assert.deepEqual(results, [undefined, undefined, undefined, undefined]);
  assert.deepEqual(writes.map((w) => [w.addr, w.now]), [[0, true], [1, true], [2, true], [3, true]], 'written now, not at the end of the tick');
  for (const w of writes) assert.equal(w.frame, writes[0].frame, 'the very same Buffer for every receiver');
  const parsed = parseEnvelope(writes[0].frame);
  assert.ok(parsed.ok);
  assert.equal(parsed.envelope.topic, TOPIC);
  assert.equal(parsed.envelope.to, ADDR_WORKERS);
  assert.equal(decodePayload(writes[0].frame, parsed.envelope.payloadOffset), batch);
  // A new payload (the next change) is a new frame; the old one is not kept past the turn.
  await tick();
  api.sendNow(0, TOPIC, '[{"t":"del","key":"k","rev":2}]');
  assert.notEqual(writes[4].frame, writes[0].frame);
});

test('sendNow: a receiver whose queue is full, or that does not listen, takes send()\'s path (a promise); the others are written at once', async () => {
  const { api, writes, conns } = endpoint([0, 1, 2]);
  conns.get(1).full = true;
  conns.get(2).subs.clear();
  const batch = '[{"t":"status","up":true,"rev":1,"epoch":1}]';
  assert.equal(api.sendNow(0, TOPIC, batch), undefined);
  const full = api.sendNow(1, TOPIC, batch);
  const deaf = api.sendNow(2, TOPIC, batch);
  assert.ok(full instanceof Promise);
  assert.ok(deaf instanceof Promise);
  await deaf;
  assert.deepEqual(writes.map((w) => w.addr), [0], 'nothing for the full one yet, nothing ever for one that does not listen');
  conns.get(1).full = false;
  for (const fn of conns.get(1).drainWaiters) fn();
  await full;
  assert.deepEqual(writes.map((w) => w.addr), [0, 1]);
});

test('the server: every watcher of a change gets the same batch at once; one whose push is pending gets the next changes after it, together and in order', async () => {
  const server = new StateServer(() => memoryBackend());
  const got = { a: [], b: [] };
  let release;
  const deliver = {
    a: (batch) => void got.a.push(batch),
    // b's first push waits (its hub queue is full) until released.
    b: (batch) => {
      got.b.push(batch);
      if (got.b.length === 1) return new Promise((r) => (release = r));
      return undefined;
    },
  };
  for (const who of ['a', 'b']) {
    const reply = await server.handle(JSON.stringify({ op: 'watch', id: 1, p: 'k', s: who }), who, deliver[who]);
    assert.equal(JSON.parse(reply).ok, 1);
  }
  // The sync events of the watch registration.
  assert.equal(got.a.length, 1);
  assert.equal(got.b.length, 1);
  for (let i = 1; i <= 3; i++) await server.handle(`{"op":"set","key":"k"}\n${i}`, 'w', () => undefined);
  // a: one batch per change, written in the turn of the change.
  assert.deepEqual(got.a.slice(1).map((b) => JSON.parse(b).map((e) => e.e.value)), [[1], [2], [3]]);
  // b: still waiting for its first push; the three changes are queued for it.
  assert.equal(got.b.length, 1);
  release();
  await tick();
  assert.deepEqual(got.b.slice(1).map((b) => JSON.parse(b).map((e) => e.e.value)), [[1, 2, 3]]);
  // The same change is the same batch text for every watcher.
  await server.handle(`{"op":"set","key":"k"}\n4`, 'w', () => undefined);
  assert.equal(got.a.at(-1), got.b.at(-1));
  await server.close();
});

test('the hub\'s writeNow: to an idle connection the frame leaves at once; what follows in the same tick is corked behind it and leaves at the end of the tick, in order', async () => {
  const { HubFlow } = await import('../../dist/messaging/hub-flow.js');
  const log = [];
  const socket = {
    writableLength: 0,
    corks: 0,
    cork() { this.corks++; },
    uncork() { this.corks--; if (this.corks === 0) log.push('flush'); },
    write(buf) { log.push(this.corks > 0 ? `queued ${buf}` : `sent ${buf}`); },
  };
  const c = { closed: false, corked: false, socket };
  const flow = new HubFlow({ maxQueueBytes: 1 << 20, rateLimit: 0 }, { pump() {}, flood() {} });
  flow.writeNow(c, 'a');
  flow.writeNow(c, 'b');
  flow.write(c, 'c');
  assert.deepEqual(log, ['sent a', 'queued b', 'queued c']);
  await new Promise((r) => process.nextTick(r));
  assert.deepEqual(log, ['sent a', 'queued b', 'queued c', 'flush']);
  // A connection with bytes still queued in its socket: the frame waits its turn (corked, in order).
  socket.writableLength = 10;
  flow.writeNow(c, 'd');
  assert.equal(log.at(-1), 'queued d');
});

test('sendNow: a payload that cannot be sent (over the message size limit) is a rejected promise, never a throw into the caller', async () => {
  const { api, writes } = endpoint([0]);
  const big = `[${'"x",'.repeat(300_000)}"x"]`;
  const out = api.sendNow(0, TOPIC, big);
  assert.ok(out instanceof Promise);
  await assert.rejects(out, { code: 'DROVER_E_MSG_TOO_LARGE' });
  assert.equal(writes.length, 0);
});
