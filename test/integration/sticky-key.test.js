// Issue 16: socket.io's polling transport needs every request of a session on
// the worker that created it. With --sticky-key query:sid (and the worker
// claiming the ids it creates) 24 clients forced to polling connect and talk
// with no error, spread over both workers; plain round-robin, the control,
// fails the same clients ("xhr poll error" / "Session ID unknown").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { pidOf, request } from '../helpers/http.js';
import { io as connect } from 'socket.io-client';
import { fixture, runDrover } from '../helpers/drover.js';
import { withTimeout } from '../helpers/wait.js';

const CLIENTS = 24;
const MESSAGES = 3;

/** Each client: connect over polling, send MESSAGES acked pings; resolves with the pids that answered or the first error. */
function session(port) {
  return new Promise((resolve) => {
    const socket = connect(`http://127.0.0.1:${port}`, { transports: ['polling'], reconnection: false, forceNew: true, timeout: 10_000 });
    const pids = new Set();
    let done = false;
    const finish = (result) => {
      if (done) return;
      done = true;
      resolve(result);
      socket.close();
    };
    socket.on('connect_error', (err) => finish({ error: `connect_error: ${err.message}` }));
    socket.on('disconnect', (reason) => finish({ error: `disconnect: ${reason}` }));
    socket.on('connect', async () => {
      for (let n = 0; n < MESSAGES; n++) {
        const reply = await socket.timeout(10_000).emitWithAck('ping', n).catch((err) => ({ error: err.message }));
        if (reply.error) return finish({ error: `ping: ${reply.error}` });
        pids.add(reply.pid);
      }
      finish({ pids: [...pids] });
    });
  });
}

async function runClients(port) {
  // Staggered so that sessions interleave: every handshake and poll is a separate request.
  const results = await withTimeout(Promise.all(Array.from({ length: CLIENTS }, () => session(port))), 60_000, 'the socket.io clients');
  const errors = results.filter((r) => r.error).map((r) => r.error);
  const byPid = new Map();
  for (const r of results) if (r.pids) for (const pid of r.pids) byPid.set(pid, (byPid.get(pid) ?? 0) + 1);
  return { errors, byPid, results };
}

test(`--sticky-key query:sid: ${CLIENTS} socket.io clients on polling connect and talk with no error, over both workers`, async (t) => {
  const drover = runDrover(t, [fixture('socketio-app.js'), '-i', '2', '--sticky-key', 'query:sid']);
  const port = await drover.ready();
  const { errors, byPid, results } = await runClients(port);
  assert.deepEqual(errors, [], `errors: ${errors.slice(0, 5).join('; ')}`);
  // Every session's messages were all answered by one worker...
  for (const r of results) assert.equal(r.pids.length, 1, `a session answered by several workers: ${r.pids}`);
  // ...and sessions went to both (a key is placed by round-robin the first time).
  assert.equal(byPid.size, 2, `sessions per worker: ${JSON.stringify([...byPid])}`);
  for (const n of byPid.values()) assert.ok(n >= 4, `sessions per worker: ${JSON.stringify([...byPid])}`);
});

test('control: plain round-robin fails the same socket.io clients (sessions unknown to the other worker)', async (t) => {
  const drover = runDrover(t, [fixture('socketio-app.js'), '-i', '2'], { env: { CLAIM: '0' } });
  const port = await drover.ready();
  const { errors } = await runClients(port);
  assert.ok(errors.length > 0, 'round-robin served every polling session: the control does not test stickiness');
});

/** One request over a raw socket, written in `parts` (a tick apart); resolves with the answering pid, or null when the server closed without an answer; `end`: the client half-closes (FIN) after its request. */
function rawRequest(port, parts, { end = false } = {}) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (d) => (received += d));
    socket.on('error', reject);
    socket.on('close', () => {
      const body = received.slice(received.indexOf('\r\n\r\n') + 4);
      resolve(received.startsWith('HTTP/1.1 200') ? JSON.parse(body).pid : received.startsWith('HTTP/1.1 4') ? 'refused' : null);
    });
    socket.on('connect', async () => {
      for (const part of parts) {
        socket.write(part);
        await new Promise((r) => setTimeout(r, 20));
      }
      if (end) socket.end();
    });
  });
}

test('--sticky-key cookie:sid: one key, one worker (also when the head arrives in pieces); new keys spread; silent and garbage connections block nothing', async (t) => {
  const drover = runDrover(t, [fixture('whoami.js'), '-i', '2', '--sticky-key', 'cookie:sid'], { env: { PORT: '0' } });
  const port = await drover.ready();
  const withKey = (key) => request({ port, headers: { cookie: `theme=dark; sid=${key}` } }).then((r) => pidOf(r.body));
  // Connections that never send a byte are held by the master until its deadline, without holding up the others.
  const silent = Array.from({ length: 5 }, () => net.connect(port, '127.0.0.1').on('error', () => {}));
  t.after(() => silent.forEach((s) => s.destroy()));
  const owners = new Map();
  for (let round = 0; round < 3; round++) {
    for (let k = 0; k < 8; k++) {
      const pid = await withKey(`key-${k}`);
      if (round === 0) owners.set(k, pid);
      else assert.equal(pid, owners.get(k), `key-${k} moved from ${owners.get(k)} to ${pid}`);
    }
  }
  assert.equal(new Set(owners.values()).size, 2, 'new keys are placed by round-robin over both workers');
  for (let k = 0; k < 4; k++) {
    const pid = await rawRequest(port, ['GET / HTTP/1.1\r\n', 'Host: x\r\nCookie: ', `sid=key-${k}\r\n`, 'Connection: close\r\n\r\n']);
    assert.equal(pid, owners.get(k), `a head in four pieces went to ${pid}, not key-${k}'s worker`);
  }
  // The master reads the head off the raw handle: a FIN after the request must reach the worker, not end the reply.
  assert.equal(await rawRequest(port, ['GET / HTTP/1.1\r\nHost: x\r\nCookie: sid=key-1\r\n\r\n'], { end: true }), owners.get(1));
  // 20 KiB without a line end: read up to the bound, handed over as is; the app refuses it, the master lives on.
  assert.notEqual(await rawRequest(port, ['x'.repeat(20 * 1024)]), undefined);
  assert.equal(await rawRequest(port, [Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5])]).then(() => 'closed'), 'closed');
  assert.equal(await withKey('key-0'), owners.get(0));
  assert.equal(drover.exitInfo, undefined, 'the master is still running');
});
