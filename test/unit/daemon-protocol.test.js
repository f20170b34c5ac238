// The control protocol's framing (4-byte big-endian length + JSON, bounded),
// a round trip through a real unix socket, and the dump's secret handling.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ControlClient } from '../../dist/control/client.js';
import { listenControl } from '../../dist/control/server.js';
import { encodeControlFrame as encodeFrame, ControlFrameDecoder as FrameDecoder, MAX_CONTROL_FRAME_BYTES as MAX_FRAME_BYTES } from '../../dist/control/wire.js';
import { readDump, restoreApp, writeDump } from '../../dist/daemon/dump.js';
import { DroverError } from '../../dist/errors.js';
import { tempDir } from '../helpers/tmp.js';

test('frames: length prefix, split and coalesced chunks', () => {
  const a = encodeFrame({ id: 1, command: 'ping', args: {} });
  assert.equal(a.readUInt32BE(0), a.length - 4);
  const b = encodeFrame({ id: 2, ok: true, data: 'é€' });
  const both = Buffer.concat([a, b]);
  const d = new FrameDecoder();
  const out = [];
  for (let i = 0; i < both.length; i += 3) out.push(...d.push(both.subarray(i, i + 3)));
  assert.deepEqual(out, [
    { id: 1, command: 'ping', args: {} },
    { id: 2, ok: true, data: 'é€' },
  ]);
  assert.deepEqual(new FrameDecoder().push(both), out);
});

test('frames: an oversized announcement or bad JSON is a DROVER_E_PROTOCOL error', () => {
  const big = Buffer.alloc(4);
  big.writeUInt32BE(MAX_FRAME_BYTES + 1, 0);
  assert.throws(() => new FrameDecoder().push(big), (e) => e instanceof DroverError && e.code === 'DROVER_E_PROTOCOL');
  const bad = Buffer.concat([Buffer.from([0, 0, 0, 3]), Buffer.from('{x}')]);
  assert.throws(() => new FrameDecoder().push(bad), (e) => e.code === 'DROVER_E_PROTOCOL');
  assert.throws(() => encodeFrame({ s: 'x'.repeat(MAX_FRAME_BYTES) }), (e) => e.code === 'DROVER_E_PROTOCOL');
});

test('server and client: replies, events, errors with their codes, socket mode 0600', async (t) => {
  const dir = tempDir(t, 'proto-');
  const sock = path.join(dir, 'c.sock');
  const server = await listenControl(
    sock,
    {
      echo: (args) => args,
      progress: (args, ctx) => {
        for (let i = 0; i < 3; i++) ctx.emit('step', { i });
        return 'done';
      },
    },
    { unknownCommand: (command) => new DroverError('DROVER_E_APP_NOT_FOUND', `no ${command}`, { name: command }) },
  );
  t.after(() => server.close());
  assert.equal(statSync(sock).mode & 0o777, 0o600);
  const client = await ControlClient.connect(sock);
  t.after(() => client.destroy());
  assert.deepEqual(await client.call('echo', { a: [1, 2] }), { a: [1, 2] });
  const steps = [];
  assert.equal(await client.call('progress', {}, { onEvent: (e, d) => steps.push([e, d.i]) }), 'done');
  assert.deepEqual(steps, [
    ['step', 0],
    ['step', 1],
    ['step', 2],
  ]);
  await assert.rejects(client.call('ghost'), (e) => e instanceof DroverError && e.code === 'DROVER_E_APP_NOT_FOUND' && e.exitCode === 80 && e.details.name === 'ghost');
  // Only the table's own commands: an inherited property is an unknown command too.
  await assert.rejects(client.call('toString'), (e) => e.code === 'DROVER_E_APP_NOT_FOUND');
  await assert.rejects(client.call('constructor'), (e) => e.code === 'DROVER_E_APP_NOT_FOUND');
  // A timed-out call is rejected with the connection's code and leaves no pending entry behind.
  const slow = await listenControl(path.join(dir, 's.sock'), { hang: () => new Promise(() => {}) });
  t.after(() => slow.close());
  const slowClient = await ControlClient.connect(path.join(dir, 's.sock'), { lostCode: 'DROVER_E_MASTER_DIED' });
  t.after(() => slowClient.destroy());
  await assert.rejects(slowClient.call('hang', {}, { timeoutMs: 50 }), (e) => e.code === 'DROVER_E_MASTER_DIED' && /no answer to "hang" within 50 ms/.test(e.message));
  // Concurrent calls are matched by id.
  const many = await Promise.all([1, 2, 3, 4].map((n) => client.call('echo', { n })));
  assert.deepEqual(many.map((m) => m.n), [1, 2, 3, 4]);
});

test('pending calls are rejected when the connection drops', async (t) => {
  const dir = tempDir(t, 'proto-');
  const sock = path.join(dir, 'c.sock');
  const server = await listenControl(sock, { hang: () => new Promise(() => {}) });
  const client = await ControlClient.connect(sock, { lostCode: 'DROVER_E_MASTER_DIED' });
  const rejected = assert.rejects(client.call('hang'), (e) => e.code === 'DROVER_E_MASTER_DIED');
  await server.close();
  await rejected;
});

test('dump: atomic 0600 file without secret values; restore fills them from the environment', (t) => {
  const dir = tempDir(t, 'dump-');
  const file = path.join(dir, 'dump.json');
  const record = {
    name: 'api',
    options: { script: 'a.js', env: { MODE: 'x', DB_PASSWORD: 'p1', DATABASE_URL: 'postgres://u:pw@h/db' } },
    env: { PATH: '/bin', GITHUB_TOKEN: 'ghp_1', HOME: '/root' },
    source: { kind: 'script' },
    createdAt: 1,
  };
  writeDump(file, [record]);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const text = readFileSync(file, 'utf8');
  for (const secret of ['p1', 'pw@', 'ghp_1']) assert.ok(!text.includes(secret), `${secret} leaked`);
  const dump = readDump(file);
  assert.deepEqual(dump.apps[0].secrets, { declared: ['DB_PASSWORD', 'DATABASE_URL'], env: ['GITHUB_TOKEN'] });
  const { record: restored, missing } = restoreApp(dump.apps[0], { DB_PASSWORD: 'p2', GITHUB_TOKEN: 'ghp_2' });
  assert.deepEqual(restored.options.env, { MODE: 'x', DB_PASSWORD: 'p2' });
  assert.deepEqual(restored.env, { PATH: '/bin', HOME: '/root', GITHUB_TOKEN: 'ghp_2' });
  assert.deepEqual(missing, ['DATABASE_URL']);
  assert.throws(() => readDump(path.join(dir, 'none.json')), (e) => e.code === 'DROVER_E_NO_DUMP');
});
