// The hub's front (issue 17): the socket, tokens and the master's own
// handlers exist from the start; the hub proper loads at the first
// connection or the master's first send. A real unix socket; the worker's
// end is a child process that exits once it has its answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { HubFront } from '../../dist/messaging/hub-front.js';

const CLIENT = fileURLToPath(new URL('../../dist/messaging/hub-client.js', import.meta.url));

/** A worker (wid) that asks the master `topic` with payload and prints the reply as JSON. */
function workerAsks(front, wid, topic, payload) {
  const env = front.env(wid, wid - 1);
  assert.ok(env.DROVER_MSG_SOCKET && existsSync(env.DROVER_MSG_SOCKET), 'the socket listens from the first env()');
  const code = `const { HubClient } = await import(${JSON.stringify(CLIENT)});
const c = new HubClient({ socketPath: process.env.DROVER_MSG_SOCKET, token: process.env.DROVER_MSG_TOKEN, self: ${wid} });
process.stdout.write(JSON.stringify(await c.request('master', ${JSON.stringify(topic)}, ${JSON.stringify(payload)}, { timeoutMs: 30000 })));
process.exit(0);`;
  return new Promise((resolve, reject) =>
    execFile(process.execPath, ['--input-type=module', '-e', code], { env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message} ${stderr}`)) : resolve(JSON.parse(stdout)))),
  );
}

test('a handler registered before the hub loaded answers the first connection, which loads it', async (t) => {
  const front = new HubFront();
  t.after(() => front.close());
  front.api.handle('ping', (payload) => ({ pong: payload }));
  assert.throws(() => front.api.handle('ping', () => 1), { code: 'DROVER_E_MSG_INVALID' }, 'the same duplicate check as the hub');
  const asked = workerAsks(front, 1, 'ping', 7);
  assert.equal(front.hub, undefined, 'no hub before a connection');
  assert.deepEqual(front.stats(), { connections: 0, routes: 0, pendingMasterRequests: 0, queuedBytes: 0 });
  assert.deepEqual(await asked, { pong: 7 });
  assert.ok(front.hub, 'the connection loaded the hub');
  assert.equal(front.counts.request, 1, 'the hub counts into the front');
});

test("the master's first send loads the hub", async (t) => {
  const front = new HubFront();
  t.after(() => front.close());
  front.env(1, 0);
  assert.equal(front.hub, undefined);
  // Nobody listens yet: the send resolves without a receiver, as the hub's own does.
  await front.api.send('workers', 'hello', 'there');
  assert.ok(front.hub, 'the send loaded the hub');
  assert.equal(front.counts.send, 1);
});

test('close before the hub loaded removes the socket; env() after it is empty', () => {
  const front = new HubFront();
  const env = front.env(1, 0);
  front.close();
  assert.equal(existsSync(env.DROVER_MSG_SOCKET), false);
  assert.deepEqual(front.env(2, 1), {});
  front.workerGone(1); // no hub: only its token and strikes go
});
