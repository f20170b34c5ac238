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

// The master's hub assembles a frame cut by the end of a socket read (every
// 64 KB message) in one kept buffer too: what it keeps, forwards or holds is
// copied out of it, and only the master's own text/JSON replies are decoded
// from it in place. Large frames of differing contents, many in flight.
test('large frames through the master: kept by its listeners, routed worker to worker, replies to its requests', async (t) => {
  const front = new HubFront({ serialization: 'v8' });
  t.after(() => front.close());
  const envA = front.env(1, 0);
  const envB = front.env(2, 1);
  const a = new HubClient({ socketPath: envA.DROVER_MSG_SOCKET, token: envA.DROVER_MSG_TOKEN, self: 0 });
  const b = new HubClient({ socketPath: envB.DROVER_MSG_SOCKET, token: envB.DROVER_MSG_TOKEN, self: 1 });
  const off = [a.handle('echo', (p) => p), b.handle('echo', (p) => p)];
  t.after(() => off.forEach((fn) => fn()));
  assert.equal(await front.api.request(0, 'echo', 'hi'), 'hi');
  assert.equal(await front.api.request(1, 'echo', 'hi'), 'hi');
  const big = (i) => [
    `${i}:`.padEnd(70_000 + i * 97, String.fromCharCode(97 + (i % 26))),
    Buffer.alloc(90_000 + i, i % 256),
    { rows: Array.from({ length: 2_000 }, (_, k) => ({ k, i, s: `row ${k} of ${i}` })) },
    new Map([[i, 'x'.repeat(80_000 + i)]]),
  ];
  // Requests from the master, 8 at once (replies cut across reads, decoded in place or copied).
  const rounds = 12;
  const replies = await Promise.all(Array.from({ length: rounds }, (_, i) => Promise.all(big(i).map((p) => front.api.request(0, 'echo', p)))));
  for (let i = 0; i < rounds; i++) assert.deepEqual(replies[i], big(i), `master request round ${i}`);
  // Worker to worker through the hub (forwarded frames).
  const routed = await Promise.all(Array.from({ length: rounds }, (_, i) => Promise.all(big(i).map((p) => a.request(1, 'echo', p)))));
  for (let i = 0; i < rounds; i++) assert.deepEqual(routed[i], big(i), `routed round ${i}`);
  // Kept by the master's listener while more large frames arrive.
  const kept = [];
  const offKeep = front.api.on('keep', (p) => kept.push(p));
  t.after(offKeep);
  for (let i = 0; i < rounds; i++) for (const p of big(i)) await b.send('master', 'keep', p);
  await waitFor(() => kept.length === rounds * 4, { timeoutMs: 20_000, message: 'every message kept' });
  for (let i = 0; i < rounds; i++) assert.deepEqual(kept.slice(i * 4, i * 4 + 4), big(i), `kept round ${i}`);
});
