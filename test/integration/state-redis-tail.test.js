// The redis backend's tail on its own RESP connection (src/state/resp.ts),
// against a real redis-server: password and database from the URL, replies
// read as they come, an error reply rejects its command, a closed server
// rejects what waits; and a change stream trimmed past what the master read
// gives its watchers a `reset` with the current state, after which changes
// flow again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RespConnection } from '../../dist/state/resp.js';
import { StateServer } from '../../dist/state/server.js';
import { StateClient } from '../../dist/state/client.js';
import { localTransport } from '../../dist/state/local-transport.js';
import { redisBackend } from '../../dist/state/redis-backend.js';
import { hasRedis, startRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

const skip = hasRedis ? false : 'redis-server is not installed (.ci/run installs it)';
const conn = (url) => new RespConnection({ url, connectTimeoutMs: 5_000, idleTimeoutMs: 10_000 });

test('RESP connection: AUTH and SELECT from the URL, blocking reads, error replies, a server that goes away', { skip }, async (t) => {
  const redis = await startRedis(t);
  const admin = conn(redis.url);
  t.after(() => admin.close());
  assert.equal(await admin.command(['CONFIG', 'SET', 'requirepass', 'p@ss wörd']), 'OK');
  const noAuth = conn(redis.url);
  t.after(() => noAuth.close());
  await assert.rejects(noAuth.command(['PING']), /NOAUTH|Authentication required/);
  const bad = conn(`redis://:wrong@127.0.0.1:${redis.port}`);
  t.after(() => bad.close());
  await assert.rejects(bad.connect(), /WRONGPASS|invalid/);
  const c = conn(`redis://:${encodeURIComponent('p@ss wörd')}@127.0.0.1:${redis.port}/3`);
  t.after(() => c.close());
  await c.connect();
  assert.equal(await c.command(['SET', 'k', 'välue']), 'OK');
  assert.equal(await c.command(['GET', 'k']), 'välue');
  const other = conn(`redis://:${encodeURIComponent('p@ss wörd')}@127.0.0.1:${redis.port}/0`);
  t.after(() => other.close());
  assert.equal(await other.command(['GET', 'k']), null, 'db 0 does not have db 3\'s key');
  await assert.rejects(c.command(['INCR', 'k']), /not an integer/);
  // A blocking read returns when another connection appends.
  const read = c.command(['XREAD', 'BLOCK', '5000', 'STREAMS', 's', '0-0']);
  await other.command(['SELECT', '3']);
  await other.command(['XADD', 's', '1-1', 'f', 'x'.repeat(200_000)]);
  const got = await read;
  assert.equal(got[0][1][0][1][1].length, 200_000, 'a reply over many socket reads');
  // The server goes away: what waits is rejected, and the next command fails to connect.
  const waiting = assert.rejects(c.command(['XREAD', 'BLOCK', '5000', 'STREAMS', 's', '1-1']), /closed/);
  await redis.stop();
  await waiting;
  await assert.rejects(c.command(['PING']), /ECONNREFUSED|closed/);
});

test('redis backend: a change stream trimmed past what the master read gives its watchers a reset, then changes again', { skip }, async (t) => {
  const redis = await startRedis(t);
  const spec = { backend: 'redis', url: redis.url, namespace: 'trim' };
  const server = new StateServer(() => redisBackend(spec, undefined));
  t.after(() => server.close());
  const client = new StateClient(localTransport(server, 'w'));
  const events = [];
  client.watch('*', (ev) => events.push(ev.type === 'reset' ? `reset:${ev.entries.map((e) => e.key).sort().join(",")}` : `${ev.type}:${ev.entry?.key ?? ev.key}`));
  await client.set('a', 1);
  await waitFor(() => events.includes('put:a'), { timeoutMs: 10_000, message: 'the watcher to see a' });
  // Another master's three writes, and the stream trimmed to the last of them, in one step: the tail sees rev 4 after rev 1.
  const raw = conn(redis.url);
  t.after(() => raw.close());
  await raw.command([
    'EVAL',
    `for i = 1, 3 do
       local rev = redis.call('INCR', KEYS[3])
       local k = 'b' .. i
       redis.call('HSET', KEYS[1], k, '1')
       redis.call('HSET', KEYS[2], k, '1 ' .. rev)
       redis.call('XADD', KEYS[4], rev .. '-1', 'k', k, 'v', '1', 'd', '1')
     end
     redis.call('XTRIM', KEYS[4], 'MAXLEN', 1)`,
    '4',
    '{trim}:data',
    '{trim}:meta',
    '{trim}:rev',
    '{trim}:feed',
  ]);
  await waitFor(() => events.some((e) => e.startsWith('reset:')), { timeoutMs: 10_000, message: 'a reset after the trim' });
  assert.equal(events.find((e) => e.startsWith('reset:')), 'reset:a,b1,b2,b3');
  assert.ok(!events.includes('put:b3'), 'no change of the trimmed run arrives as if nothing was missed');
  assert.deepEqual(client.peek('b2')?.value, 1);
  await client.set('c', 2);
  await waitFor(() => events.includes('put:c'), { timeoutMs: 10_000, message: 'changes after the reset' });
  assert.equal(client.status().rev, 5);
});
