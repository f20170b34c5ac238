// A cheap HTTP load generator that runs in its own process (forked by
// paced.js), so its CPU is its own and can be measured: raw `net` sockets,
// requests pre-built as buffers, a minimal response parser (status line,
// x-pid, content-length), no http.Agent, no promise per request. The E2
// scenario used to generate load with http.get in the harness process, which
// cost more CPU per request than the hello app's workers and competed with
// them on the same 2 cores.
//
// One job per process: the parent sends { job } over IPC, the child answers
// { result } and exits; it also exits when the parent goes away.
//   open loop:   request i is written at t0 + i / rate (a 1 ms timer sends
//                every request that is due); its latency runs from that
//                scheduled time, so a late generator is charged, not hidden.
//   closed loop: `concurrency` loops, each sending its next request when the
//                previous one is answered, for `duration` s (capacity).
// About one request in `burnEvery` is GET /burn, the same seeded sequence in
// every run (burns.js).
// Keep-alive: one request per socket at a time; a request takes the free socket
// that has been free longest (FIFO, as http.Agent's 'fifo' scheduling) or opens
// a new one (open loop: no cap but MAX_OUTSTANDING).
import net from 'node:net';
import { burnPicker, burnSchedule } from './burns.js';

const MAX_OUTSTANDING = 2000;
const TIMEOUT_MS = 10000;
const CRLFCRLF = Buffer.from('\r\n\r\n');

function requestBytes(host, port, path, closeEach) {
  return Buffer.from(`GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\n${closeEach ? 'Connection: close\r\n' : ''}\r\n`, 'latin1');
}

/** Parses one response from `buf`; returns { status, pid, length } once it is complete, else null. */
function parseResponse(buf) {
  const end = buf.indexOf(CRLFCRLF);
  if (end === -1) return null;
  const head = buf.toString('latin1', 0, end);
  const status = Number(head.slice(9, 12));
  const lower = head.toLowerCase();
  const header = (name) => {
    const i = lower.indexOf(`\r\n${name}:`);
    if (i === -1) return undefined;
    const j = lower.indexOf('\r\n', i + 2);
    return head.slice(i + name.length + 3, j === -1 ? undefined : j).trim();
  };
  const cl = header('content-length');
  const body = cl === undefined ? 0 : Number(cl);
  const length = end + 4 + body;
  if (buf.length < length) return null;
  return { status, pid: Number(header('x-pid')) || 0, length };
}

function run(job) {
  const { host = '127.0.0.1', port, closeEach, burnEvery = 0, mode } = job;
  if (host !== '127.0.0.1') throw new Error(`load only goes to 127.0.0.1 (got ${host})`);
  const reqs = {
    plain: requestBytes(host, port, '/', closeEach),
    burn: requestBytes(host, port, '/burn', closeEach),
  };
  const free = []; // keep-alive sockets with nothing in flight, longest-free first
  let outstanding = 0;
  let failed = 0;
  let overflow = 0;
  let completed = 0;
  let opened = 0;
  const statuses = {};
  const samples = []; // flat: at, latency, pid, burn (mode 'open' only)
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let onIdle = null;

  const finish = (sock, ok, res, at, burn, done) => {
    outstanding--;
    if (!ok) failed++;
    else if (res.status !== 200) {
      failed++;
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
    } else {
      completed++;
      if (mode === 'open') samples.push(at, performance.now() - t0 - at, res.pid, burn ? 1 : 0);
    }
    done?.();
    if (outstanding === 0 && onIdle) onIdle();
  };

  // Sends request i on a free keep-alive socket or a new one; `done` runs after it is counted.
  const send = (burn, at, done) => {
    const bytes = burn ? reqs.burn : reqs.plain;
    outstanding++;
    let sock = closeEach ? undefined : free.shift();
    const settle = (ok, res) => {
      clearTimeout(timer);
      sock.removeListener('data', onData);
      sock.removeListener('error', onError);
      sock.removeListener('close', onClose);
      finish(sock, ok, res, at, burn, done);
    };
    let buf = null;
    const onData = (chunk) => {
      buf = buf ? Buffer.concat([buf, chunk]) : chunk;
      const res = parseResponse(buf);
      if (!res) return;
      settle(true, res);
      if (closeEach || sock.destroyed) sock.end();
      else free.push(sock);
    };
    const onError = () => {};
    const onClose = () => settle(false);
    if (!sock) {
      opened++;
      sock = net.connect({ host, port, noDelay: true });
      sock.on('error', () => {}); // 'close' follows and fails the request in flight
      if (!closeEach) sock.on('close', () => {
        const k = free.indexOf(sock);
        if (k !== -1) free.splice(k, 1);
      });
    }
    const timer = setTimeout(() => sock.destroy(), TIMEOUT_MS);
    sock.on('data', onData);
    sock.on('error', onError);
    sock.on('close', onClose);
    sock.write(bytes);
  };

  const result = () => {
    const wallS = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    for (const s of free.splice(0)) s.destroy();
    // origin: the samples' time zero on the traces' clock (performance.timeOrigin + now, ms).
    return { completed, failed, overflow, opened, statuses, samples, wallS, cpuS: (cpu.user + cpu.system) / 1e6, origin: performance.timeOrigin + t0 };
  };

  if (mode === 'closed') {
    const { concurrency = 32, duration } = job;
    const nextBurns = burnPicker(burnEvery);
    let stopped = false;
    return new Promise((resolve) => {
      const loop = () => {
        if (!stopped) send(nextBurns(), 0, loop);
      };
      for (let k = 0; k < concurrency; k++) loop();
      setTimeout(() => {
        stopped = true;
        const sentWindowS = (performance.now() - t0) / 1000;
        const doneInWindow = completed;
        const end = () => resolve({ ...result(), reqPerSec: doneInWindow / sentWindowS });
        if (outstanding === 0) end();
        else onIdle = end;
      }, duration * 1000);
    });
  }

  const { rate, duration } = job;
  const total = Math.floor(rate * duration);
  const burns = burnSchedule(total, burnEvery);
  let i = 0;
  return new Promise((resolve) => {
    const tick = () => {
      const now = performance.now() - t0;
      while (i < total && (i / rate) * 1000 <= now) {
        const at = (i / rate) * 1000;
        if (outstanding >= MAX_OUTSTANDING) overflow++;
        else send(burns[i] === 1, at);
        i++;
      }
      if (i < total) return void setTimeout(tick, 1);
      if (outstanding === 0) resolve(result());
      else onIdle = () => resolve(result());
    };
    tick();
  });
}

process.on('disconnect', () => process.exit(0));
process.once('message', async (job) => {
  try {
    process.send({ result: await run(job) }, () => process.disconnect());
  } catch (err) {
    process.send({ error: err.message }, () => process.disconnect());
  }
});
