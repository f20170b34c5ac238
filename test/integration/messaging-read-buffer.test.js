// A worker's hub client reads every message into one reused buffer (net's
// onread, frame-reader.ts): what a listener or handler keeps of a message
// (a Buffer, typed arrays inside a v8 payload, strings, JSON objects) must
// not change when later reads overwrite that buffer. A real hub on a unix
// socket, the client in this process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HubFront } from '../../dist/messaging/hub-front.js';
import { HubClient } from '../../dist/messaging/hub-client.js';
import { waitFor } from '../helpers/wait.js';

test('payloads kept by a listener survive the reads after them (v8 mode)', async (t) => {
  const front = new HubFront({ serialization: 'v8' });
  t.after(() => front.close());
  const env = front.env(1, 0);
  const client = new HubClient({ socketPath: env.DROVER_MSG_SOCKET, token: env.DROVER_MSG_TOKEN, self: 0 });
  const kept = [];
  const off = [client.on('keep', (p) => kept.push(p)), client.handle('echo', (p) => p)];
  // Nothing left listening, so the client neither reconnects nor holds the process once the hub closes.
  t.after(() => off.forEach((fn) => fn()));
  // The subscription is in place once a request through the same connection has come back.
  assert.equal(await front.api.request(0, 'echo', 'hi'), 'hi');
  const payloads = (i) => [
    Buffer.alloc(100 + i, i),
    { u8: new Uint8Array(64).fill(i), f64: new Float64Array([i + 0.5, -i]), map: new Map([[i, 'v']]) },
    { plain: 'x'.repeat(i), n: i },
    `text ${i} `.repeat(20),
  ];
  const rounds = 50;
  for (let i = 0; i < rounds; i++) for (const p of payloads(i)) await front.api.send(0, 'keep', p);
  // A large one across reads too.
  const large = Buffer.alloc(200_000, 7);
  await front.api.send(0, 'keep', large);
  await waitFor(() => kept.length === rounds * 4 + 1, { timeoutMs: 10_000, message: 'every message kept' });
  for (let i = 0; i < rounds; i++) assert.deepEqual(kept.slice(i * 4, i * 4 + 4), payloads(i), `round ${i}`);
  assert.deepEqual(kept[rounds * 4], large);
  // Replies of the worker's own requests, kept the same way.
  front.api.handle('bytes', (n) => Buffer.alloc(n, n % 256));
  const replies = [];
  for (let i = 1; i <= 30; i++) replies.push(await client.request('master', 'bytes', i * 10));
  for (let i = 1; i <= 30; i++) assert.deepEqual(replies[i - 1], Buffer.alloc(i * 10, (i * 10) % 256));
});
