// net's onread for a socket a server accepted (accepted-onread.ts): on the
// Node versions this project supports the switch works (a Node where it falls
// back to 'data' events fails here, so the slower path is noticed); reads
// land in the caller's buffer, returning false pauses, resume() reads again,
// and bytes buffered before the switch are handed back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { readInto } from '../../dist/messaging/accepted-onread.js';
import { waitFor } from '../helpers/wait.js';

async function pair(t) {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = net.connect(server.address().port, '127.0.0.1');
  const [accepted] = await once(server, 'connection');
  await once(client, 'connect');
  t.after(() => {
    client.destroy();
    accepted.destroy();
    server.close();
  });
  return { client, accepted };
}

test('reads of an accepted socket land in the given buffer; false pauses, resume() reads on', async (t) => {
  const { client, accepted } = await pair(t);
  const buffer = Buffer.alloc(1024);
  const got = [];
  let pauseNext = false;
  const into = readInto(accepted, buffer, (nread, buf) => {
    assert.equal(buf, buffer, 'the very buffer given');
    got.push(Buffer.from(buf.subarray(0, nread)).toString());
    return !pauseNext;
  });
  assert.ok(into, 'supported on this Node');
  assert.equal(into.pending, null);
  accepted.on('data', () => assert.fail('no data events'));
  client.write('one');
  await waitFor(() => got.join('') === 'one', { timeoutMs: 5_000, message: 'first read' });
  pauseNext = true;
  client.write('two');
  await waitFor(() => got.join('') === 'onetwo', { timeoutMs: 5_000, message: 'second read' });
  pauseNext = false;
  client.write('three');
  // Paused: nothing is read until resume().
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(got.join(''), 'onetwo');
  accepted.resume();
  await waitFor(() => got.join('') === 'onetwothree', { timeoutMs: 5_000, message: 'read after resume' });
});

test('bytes the socket buffered before the switch are handed back; readInto twice is refused', async (t) => {
  const { client, accepted } = await pair(t);
  client.write('early');
  await waitFor(() => accepted.readableLength === 5, { timeoutMs: 5_000, message: 'buffered by the stream' });
  const got = [];
  const into = readInto(accepted, Buffer.alloc(64), (n, buf) => void got.push(buf.toString('utf8', 0, n)));
  assert.equal(into.pending.toString(), 'early');
  client.write('late');
  await waitFor(() => got.join('') === 'late', { timeoutMs: 5_000, message: 'later reads through the buffer' });
  assert.equal(readInto(accepted, Buffer.alloc(64), () => true), undefined);
});
