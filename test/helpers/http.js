// HTTP against the apps under test. By default one request per connection
// (no keep-alive agent), so each request goes through the master's balancer
// on its own; pass a keep-alive `agent` to reuse connections.
import http from 'node:http';

export function request({ port, host = '127.0.0.1', socketPath, path = '/', agent = false, localAddress, timeoutMs = 15_000, headers = {}, method = 'GET', body } = {}) {
  return new Promise((resolve, reject) => {
    const target = socketPath ? { socketPath } : { host, port, localAddress };
    const req = http.request({ ...target, path, method, headers, agent }, (res) => {
      let received = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (received += chunk));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: received }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no response to ${path} within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** The pid in a fixture's answer: a JSON body's `pid`, or the last word of a text body ("pid 123", "123"). */
export function pidOf(body) {
  const text = body.trim();
  if (text.startsWith('{')) return JSON.parse(text).pid;
  return Number(text.split(/\s+/).pop());
}

/** Requests until every pid in `expect` has answered at least once (or maxRequests); returns the set of pids seen. */
export async function pidsServing({ port, socketPath, expect, maxRequests = 40 }) {
  const seen = new Set();
  for (let i = 0; i < maxRequests; i++) {
    const res = await request({ port, socketPath });
    if (res.status !== 200) throw new Error(`status ${res.status}: ${res.body}`);
    seen.add(pidOf(res.body));
    if (expect && [...expect].every((pid) => seen.has(pid))) break;
  }
  return seen;
}

/**
 * `clients` loops requesting back to back until stop(), for "no request fails
 * while ...": `counts.ok` grows as answers come, `counts.failures` holds a
 * status or error code per failed request. stop() resolves with counts once
 * every loop has finished its request in flight.
 */
export function startLoad({ port, agent, clients = 1, path, timeoutMs }) {
  const counts = { ok: 0, failures: [] };
  let running = true;
  const loop = async () => {
    while (running) {
      try {
        const res = await request({ port, agent, path, timeoutMs });
        if (res.status === 200) counts.ok++;
        else counts.failures.push(`status ${res.status}`);
      } catch (err) {
        counts.failures.push(err.code ?? err.message);
      }
    }
  };
  const loops = Array.from({ length: clients }, loop);
  return {
    counts,
    async stop() {
      running = false;
      await Promise.all(loops);
      return counts;
    },
  };
}
