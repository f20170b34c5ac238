// Issue 15, worker-side helpers: the IPC size estimate, listen indexes, and the
// close barrier's hold on a server.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { CloseBarrier } from '../../dist/worker/close-barrier.js';
import { ListenSlots } from '../../dist/worker/listen-slots.js';
import { jsonLengthAbove } from '../../dist/worker/send-limit.js';

test('jsonLengthAbove: undefined within the bound, a lower bound of the JSON length above it', () => {
  const small = { cmd: 'x', list: [1, 2, 3], nested: { a: 'b' } };
  assert.equal(jsonLengthAbove(small, 1000), undefined);
  for (const limit of [5, 10, 20]) {
    const n = jsonLengthAbove(small, limit);
    if (JSON.stringify(small).length > limit) assert.ok(n > limit && n <= JSON.stringify(small).length, `limit ${limit}: ${n}`);
  }
  assert.ok(jsonLengthAbove({ big: 'x'.repeat(5000) }, 4096) > 4096);
  assert.ok(jsonLengthAbove(new Array(5000).fill(0), 4096) > 4096, 'many small items add up');
  assert.ok(jsonLengthAbove(Buffer.alloc(3000), 4096) > 4096, 'toJSON is followed (a Buffer is an array of bytes)');
  const cyclic = { a: 1 };
  cyclic.self = cyclic;
  assert.equal(jsonLengthAbove(cyclic, 100_000), undefined, 'a cycle ends at the depth cap and is left to JSON.stringify to reject');
});

test('ListenSlots: the lowest free index per address, freed when the server closes or on release()', () => {
  const slots = new ListenSlots();
  const tcp = { type: 'tcp', host: '127.0.0.1', port: 0, ipv6Only: false };
  const [a, b, c] = [new EventEmitter(), new EventEmitter(), new EventEmitter()];
  assert.equal(slots.claim(tcp, a).index, 0);
  const second = slots.claim(tcp, b);
  assert.equal(second.index, 1);
  assert.equal(slots.claim({ ...tcp, host: 'localhost' }, c).index, 0, 'another host is another address');
  a.emit('close');
  assert.equal(slots.claim(tcp, new EventEmitter()).index, 0, 'the first free index is reused');
  second.release();
  assert.equal(slots.claim(tcp, new EventEmitter()).index, 1);
  assert.equal(b.listenerCount('error'), 0, 'no error listener: errors stay thrown for apps without one');
});

function fakeServer() {
  const server = new EventEmitter();
  server._connections = 0;
  server._emitCloseIfDrained = function () {
    if (this._connections === 0) this.emit('close');
  };
  return server;
}

test('CloseBarrier: a server closes only after the answer and every conn-back write', async () => {
  const barrier = new CloseBarrier(60_000);
  const server = fakeServer();
  let closed = false;
  server.on('close', () => (closed = true));
  barrier.hold('k', server);
  const done = barrier.sending('k', () => {});
  barrier.acked('k');
  assert.equal(closed, false, 'a conn-back is still being written');
  let settled = false;
  barrier.settled().then(() => (settled = true));
  done();
  assert.equal(closed, true);
  await Promise.resolve();
  assert.equal(settled, true);
  assert.equal(server._connections, 0);
});

test('CloseBarrier: the hold ends at its deadline when no answer comes', async () => {
  const barrier = new CloseBarrier(20);
  const server = fakeServer();
  const closed = new Promise((resolve) => server.on('close', resolve));
  barrier.hold('k', server);
  await closed;
  await barrier.settled();
});

test('InFlight: copies closed as the cumulative report covers them, also a report that overtakes its write', async () => {
  const { InFlight } = await import('../../dist/balancer/in-flight.js');
  const handle = (port) => ({
    closed: false,
    close() {
      this.closed = true;
    },
    getpeername(out) {
      out.address = '127.0.0.1';
      out.port = port;
      return 0;
    },
  });
  const held = new InFlight();
  const [h1, h2, h3, h4] = [1, 2, 3, 4].map(handle);
  held.push(h1);
  held.push(h2);
  held.ack(1);
  assert.deepEqual([h1.closed, h2.closed], [true, false]);
  held.ack(1);
  assert.equal(h2.closed, false, 'a repeated report changes nothing');
  held.ack(3); // covers h2 and one whose write callback has not run yet
  assert.equal(h2.closed, true);
  held.push(h3);
  assert.equal(h3.closed, true, 'already reported: closed at once');
  held.push(h4);
  held.returned(handle(4)); // the worker sent it back: another fd of the same socket
  assert.equal(h4.closed, true);
  assert.equal(held.size, 1, 'its place is kept, so later reports stay aligned');
  assert.deepEqual(held.rescue(), []);
});
