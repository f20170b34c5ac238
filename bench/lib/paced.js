// An open-loop HTTP load generator: requests go out on a fixed schedule
// whatever the responses do, and each latency is measured from the request's
// scheduled send time, not from when it was actually written. A closed-loop
// generator (autocannon: each connection waits for its response before the
// next request) sends less when the server stalls, so the stall hides in
// fewer samples (coordinated omission); here a stall delays every request
// scheduled during it, as it would for independent clients.
//
// Request i is scheduled at start + i / rate. The open loop and the capacity
// probe run in a separate, cheap generator process (openloop-gen.js: raw
// sockets, pre-built requests), whose own CPU is measured and reported; when
// it falls behind, the late sends are charged to the latency (measured from
// the schedule), which is the point. `burnEvery`: about one request in n goes
// to /burn, the same seeded sequence for every subject (burns.js). Each
// response's `x-pid` header says which worker answered. closedLoop() (the
// reload scenarios' load) stays in-process, on http.get.
import { fork } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';

const TIMEOUT_MS = 10000;

function checkUrl(url) {
  if (!/^http:\/\/127\.0\.0\.1[:/]/.test(url)) throw new Error(`load only goes to 127.0.0.1 (got ${url})`);
}

/** One GET; resolves { status, pid } or rejects. */
function get(url, path, agent, closeEach) {
  return new Promise((resolve, reject) => {
    const req = http.get(new URL(path, url), { agent, headers: closeEach ? { connection: 'close' } : {}, timeout: TIMEOUT_MS }, (res) => {
      const pid = Number(res.headers['x-pid']) || 0;
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, pid }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })));
    req.on('error', reject);
  });
}

function makeAgent(closeEach) {
  // A new connection per request: no agent at all. Keep-alive: sockets are
  // reused first-in first-out and opened as needed (open loop: no cap).
  return closeEach ? false : new http.Agent({ keepAlive: true, maxSockets: Infinity, scheduling: 'fifo' });
}

const pathOf = (i, burnEvery) => (burnEvery > 0 && i % burnEvery === burnEvery - 1 ? '/burn' : '/');

export function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const GENERATOR = fileURLToPath(new URL('./openloop-gen.js', import.meta.url));

/**
 * Runs one job in a fresh openloop-gen.js process (its own CPU, measured by
 * itself) and resolves with its result; the process is gone when this resolves.
 */
function inGenerator(url, job) {
  checkUrl(url);
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const child = fork(GENERATOR, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let answer;
    child.once('message', (m) => (answer = m));
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (answer?.result) resolve(answer.result);
      else reject(new Error(answer?.error ?? `load generator exited (${signal ?? code}) without a result`));
    });
    child.send({ ...job, host: '127.0.0.1', port: Number(port) });
  });
}

/**
 * Open loop: `rate` requests per second for `duration` s, from a separate
 * process (openloop-gen.js). Resolves with
 * { sent, completed, failed, overflow, rate (achieved sends/s), p50, p99, p999, max (ms),
 *   generatorCpu (cores the generator used over its run), opened (connections),
 *   samples: [{ at (scheduled, ms from start), latency, pid, burn }] }.
 */
export async function runPaced({ url, rate, duration, closeEach = false, burnEvery = 0 }) {
  if (!(duration > 0 && duration <= 120)) throw new Error(`unbounded or odd duration ${duration}`);
  if (!(rate > 0 && rate <= 50000)) throw new Error(`odd rate ${rate}`);
  const r = await inGenerator(url, { mode: 'open', rate, duration, closeEach, burnEvery });
  const samples = [];
  for (let k = 0; k < r.samples.length; k += 4) samples.push({ at: r.samples[k], latency: r.samples[k + 1], pid: r.samples[k + 2], burn: r.samples[k + 3] === 1 });
  const lat = samples.map((s) => s.latency).sort((a, b) => a - b);
  const sent = Math.floor(rate * duration) - r.overflow;
  return {
    sent,
    completed: r.completed,
    failed: r.failed,
    overflow: r.overflow,
    rate: sent / duration,
    p50: percentile(lat, 50),
    p99: percentile(lat, 99),
    p999: percentile(lat, 99.9),
    max: lat.length ? lat[lat.length - 1] : null,
    generatorCpu: r.cpuS / r.wallS,
    opened: r.opened,
    origin: r.origin,
    samples,
  };
}

/**
 * Closed loop: `loops` loops each send their next request when the previous
 * one is answered, until stop(). stop() resolves with the stats:
 * { ok, failures: [{ kind, at }] } (kind: an error code or `status <n>`).
 */
export function closedLoop({ url, loops, closeEach = false, burnEvery = 0 }) {
  checkUrl(url);
  const agent = makeAgent(closeEach);
  const stats = { ok: 0, failures: [] };
  let stopped = false;
  let n = 0;
  const loop = async () => {
    while (!stopped) {
      try {
        const { status } = await get(url, pathOf(n++, burnEvery), agent, closeEach);
        if (status === 200) stats.ok++;
        else stats.failures.push({ kind: `status ${status}`, at: Date.now() });
      } catch (err) {
        stats.failures.push({ kind: err.code ?? err.message, at: Date.now() });
      }
    }
  };
  const done = Promise.all(Array.from({ length: loops }, loop));
  return {
    stats,
    stop: async () => {
      stopped = true;
      await done;
      if (agent) agent.destroy();
      return stats;
    },
  };
}

/**
 * The same requests in closed loop (`concurrency` loops) for `duration` s,
 * from the same separate generator: the completed requests per second are the
 * capacity of the server with this generator beside it.
 */
export async function measureCapacity({ url, duration, concurrency = 32, closeEach = false, burnEvery = 0 }) {
  if (!(duration > 0 && duration <= 60)) throw new Error(`unbounded or odd duration ${duration}`);
  const r = await inGenerator(url, { mode: 'closed', concurrency, duration, closeEach, burnEvery });
  return { reqPerSec: r.reqPerSec, failed: r.failed, generatorCpu: r.cpuS / r.wallS };
}

/**
 * How often a request met a worker already burning while another worker was
 * not: the picks a load-aware balancer should have avoided. A /burn request
 * answered at time t by pid P kept P busy over about [t - burnMs, t]
 * (scheduled-time axis, so an upper bound on the interval's start).
 * Returns { blind, total } over the non-burn requests.
 */
export function blindPicks(samples, burnMs) {
  const busy = new Map(); // pid -> [[from, to], ...]
  for (const s of samples) {
    if (!s.burn) continue;
    const doneAt = s.at + s.latency;
    if (!busy.has(s.pid)) busy.set(s.pid, []);
    busy.get(s.pid).push([doneAt - burnMs, doneAt]);
  }
  const isBusy = (pid, t) => (busy.get(pid) ?? []).some(([a, b]) => t >= a && t < b);
  const pids = [...new Set(samples.map((s) => s.pid))];
  let blind = 0;
  let total = 0;
  for (const s of samples) {
    if (s.burn) continue;
    total++;
    if (isBusy(s.pid, s.at) && pids.some((p) => p !== s.pid && !isBusy(p, s.at))) blind++;
  }
  return { blind, total };
}
