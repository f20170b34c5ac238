// Issue 17: a long corked burst of serialised frames leaves in parts (flush-policy.ts), so the
// receiver starts on it while the sender encodes the rest; text and byte frames leave once per tick.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFrame } from '../../dist/messaging/frame.js';
import { SERIALISED_PER_WRITE, serialisedFrame } from '../../dist/messaging/flush-policy.js';
import { HubFlow } from '../../dist/messaging/hub-flow.js';

const head = { kind: 3, seq: 1, ack: 0, to: 0, from: -1, topic: 'echo' };
const records = [{ id: 1, name: 'a', tags: ['x'] }];

test('serialisedFrame: JSON and v8 payloads count, text, bytes and empty frames do not', () => {
  assert.equal(serialisedFrame(encodeFrame(head, records, 'v8')), true); // exact JSON, in v8 mode
  assert.equal(serialisedFrame(encodeFrame(head, records, 'json')), true);
  assert.equal(serialisedFrame(encodeFrame(head, new Map([[1, 2]]), 'v8')), true); // through v8
  assert.equal(serialisedFrame(encodeFrame(head, 'some text', 'v8')), false);
  assert.equal(serialisedFrame(encodeFrame(head, Buffer.from('bytes'), 'v8')), false);
  assert.equal(serialisedFrame(encodeFrame(head, undefined, 'v8')), false);
});

function fakeConn() {
  const log = [];
  const socket = {
    writableLength: 0,
    corks: 0,
    queued: 0,
    cork() {
      this.corks++;
    },
    uncork() {
      this.corks--;
      if (this.corks === 0) {
        log.push(this.queued);
        this.queued = 0;
      }
    },
    write() {
      this.queued++;
    },
  };
  return { log, conn: { closed: false, corked: false, serialisedCorked: 0, socket } };
}

const tick = () => new Promise((resolve) => process.nextTick(resolve));

test(`the hub: ${2 * SERIALISED_PER_WRITE + 4} serialised frames in one tick leave in parts of ${SERIALISED_PER_WRITE}, the rest at the end of the tick`, async () => {
  const flow = new HubFlow({ maxQueueBytes: 1 << 20, rateLimit: 0 }, { pump() {}, flood() {} });
  const { log, conn } = fakeConn();
  const frame = encodeFrame(head, records, 'v8');
  for (let i = 0; i < 2 * SERIALISED_PER_WRITE + 4; i++) flow.write(conn, frame);
  assert.deepEqual(log, [SERIALISED_PER_WRITE, SERIALISED_PER_WRITE]);
  await tick();
  assert.deepEqual(log, [SERIALISED_PER_WRITE, SERIALISED_PER_WRITE, 4]);
  assert.equal(conn.socket.corks, 0);
});

test('the hub: text frames in one tick leave together at its end, however many', async () => {
  const flow = new HubFlow({ maxQueueBytes: 1 << 20, rateLimit: 0 }, { pump() {}, flood() {} });
  const { log, conn } = fakeConn();
  const frame = encodeFrame(head, 'x'.repeat(1000), 'v8');
  for (let i = 0; i < 4 * SERIALISED_PER_WRITE; i++) flow.write(conn, frame);
  assert.deepEqual(log, []);
  await tick();
  assert.deepEqual(log, [4 * SERIALISED_PER_WRITE]);
});
