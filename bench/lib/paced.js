// An open-loop HTTP load generator: requests go out on a fixed schedule
// whatever the responses do, and each latency is measured from the request's
// scheduled send time, not from when it was actually written. A closed-loop
// generator (autocannon: each connection waits for its response before the
// next request) sends less when the server stalls, so the stall hides in
// fewer samples (coordinated omission); here a stall delays every request
// scheduled during it, as it would for independent clients.
//
// Request i is scheduled at start + i / rate. A 1 ms timer sends every request
// that is due; when the harness itself falls behind, the late sends are
// charged to the latency (measured from the schedule), which is the point.
// `burnEvery`: every n-th request goes to /burn (deterministic, so every
// subject gets the same sequence). Each response's `x-pid` header says which
// worker answered.
import http from 'node:http';

/** Outstanding requests beyond this are not sent and count as `overflow` (the server is far behind). */
const MAX_OUTSTANDING = 2000;
const TIMEOUT_MS = 10000;

function checkUrl(url) {
  if (!/^http:\/\/127\.0\.0\.1[:/]/.test(url)) throw new Error(`load only goes to 127.0.0.1 (got ${url})`);
}

/** One GET; resolves { status, pid } or rejects. */
function get(url, path, agent, closeEach) {
  return new Promise((resolve, reject) => {
    const req = http.get(`${url}${path}`, { agent, headers: closeEach ? { connection: 'close' } : {}, timeout: TIMEOUT_MS }, (res) => {
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

/**
 * Open loop: `rate` requests per second for `duration` s. Resolves with
 * { sent, completed, failed, overflow, rate (achieved sends/s), p50, p99, p999, max (ms),
 *   samples: [{ at (scheduled, ms from start), latency, pid, burn }] }.
 */
export async function runPaced({ url, rate, duration, closeEach = false, burnEvery = 0 }) {
  checkUrl(url);
  if (!(duration > 0 && duration <= 120)) throw new Error(`unbounded or odd duration ${duration}`);
  if (!(rate > 0 && rate <= 50000)) throw new Error(`odd rate ${rate}`);
  const agent = makeAgent(closeEach);
  const total = Math.floor(rate * duration);
  const samples = [];
  let failed = 0;
  let overflow = 0;
  let outstanding = 0;
  let i = 0;
  const pending = [];
  const t0 = performance.now();
  await new Promise((resolve) => {
    const tick = () => {
      const now = performance.now() - t0;
      while (i < total && i / rate * 1000 <= now) {
        const at = (i / rate) * 1000;
        const path = pathOf(i, burnEvery);
        i++;
        if (outstanding >= MAX_OUTSTANDING) {
          overflow++;
          continue;
        }
        outstanding++;
        pending.push(
          get(url, path, agent, closeEach).then(
            ({ status, pid }) => {
              outstanding--;
              if (status !== 200) failed++;
              else samples.push({ at, latency: performance.now() - t0 - at, pid, burn: path === '/burn' });
            },
            () => {
              outstanding--;
              failed++;
            },
          ),
        );
      }
      if (i < total) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  await Promise.all(pending);
  if (agent) agent.destroy();
  const lat = samples.map((s) => s.latency).sort((a, b) => a - b);
  return {
    sent: i - overflow,
    completed: samples.length,
    failed,
    overflow,
    rate: (i - overflow) / duration,
    p50: percentile(lat, 50),
    p99: percentile(lat, 99),
    p999: percentile(lat, 99.9),
    max: lat.length ? lat[lat.length - 1] : null,
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
 * The same requests in closed loop (`concurrency` loops) for `duration` s:
 * the completed requests per second are the capacity of server + this
 * generator together.
 */
export async function measureCapacity({ url, duration, concurrency = 32, closeEach = false, burnEvery = 0 }) {
  if (!(duration > 0 && duration <= 60)) throw new Error(`unbounded or odd duration ${duration}`);
  const t0 = performance.now();
  const load = closedLoop({ url, loops: concurrency, closeEach, burnEvery });
  await new Promise((resolve) => setTimeout(resolve, duration * 1000));
  const stats = await load.stop();
  return { reqPerSec: stats.ok / ((performance.now() - t0) / 1000), failed: stats.failures.length };
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
