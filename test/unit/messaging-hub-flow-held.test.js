// The hub's flow (src/messaging/hub-flow.ts): the one frame a read makes for an
// idle connection is held and written uncorked when the read ends; a second one
// corks the socket behind it; the held frame counts towards the queue's bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HubFlow } from '../../dist/messaging/hub-flow.js';
import { loggingSocket } from '../helpers/fake-socket.js';

function fakeConn() {
  const log = [];
  return { log, conn: { closed: false, corked: false, pending: undefined, serialisedCorked: 0, socket: loggingSocket(log) } };
}

test('a lone frame of a read leaves uncorked when the read ends, and counts towards the bound until then', () => {
  const flow = new HubFlow({ maxQueueBytes: 4, rateLimit: 0 }, { pump() {}, flood() {} });
  const { log, conn } = fakeConn();
  flow.beginRead();
  flow.write(conn, 'abcd');
  assert.deepEqual(log, []);
  assert.equal(flow.full(conn), true);
  flow.endRead();
  assert.deepEqual(log, ['sent abcd']);
  assert.equal(conn.pending, undefined);
  assert.equal(flow.full(conn), false);
  assert.equal(conn.socket.corks, 0);
});

test('more frames of one read go corked behind the first, in order, and leave together when it ends', () => {
  const flow = new HubFlow({ maxQueueBytes: 1 << 20, rateLimit: 0 }, { pump() {}, flood() {} });
  const a = fakeConn();
  const b = fakeConn();
  flow.beginRead();
  flow.write(a.conn, '1');
  flow.write(b.conn, 'x');
  flow.write(a.conn, '2');
  flow.writeNow(a.conn, '3');
  assert.deepEqual(a.log, ['queued 1', 'queued 2', 'queued 3']);
  flow.endRead();
  assert.deepEqual(a.log, ['queued 1', 'queued 2', 'queued 3', 'flush']);
  assert.deepEqual(b.log, ['sent x']);
  // release(): a held frame is written at once (the hub's fatal(), before its last frame).
  flow.beginRead();
  flow.write(b.conn, 'y');
  flow.release(b.conn);
  assert.deepEqual(b.log, ['sent x', 'sent y']);
  flow.endRead();
  assert.deepEqual(b.log, ['sent x', 'sent y']);
});

test('a connection closed during the read drops its held frame', () => {
  const flow = new HubFlow({ maxQueueBytes: 1 << 20, rateLimit: 0 }, { pump() {}, flood() {} });
  const { log, conn } = fakeConn();
  flow.beginRead();
  flow.write(conn, 'z');
  conn.closed = true;
  flow.endRead();
  assert.deepEqual(log, []);
  assert.equal(conn.pending, undefined);
});
