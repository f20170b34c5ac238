// One request per connection (no keep-alive agent), so each request goes
// through the master's balancer on its own.
import http from 'node:http';

export function request({ port, host = '127.0.0.1', socketPath, path = '/', timeoutMs = 15_000, headers = {}, method = 'GET', body } = {}) {
  return new Promise((resolve, reject) => {
    const target = socketPath ? { socketPath } : { host, port };
    const req = http.request({ ...target, path, method, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no response to ${path} within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Requests until every pid in `pids` has answered at least once; returns the set of pids seen. */
export async function pidsServing({ port, socketPath, expect, maxRequests = 40 }) {
  const seen = new Set();
  for (let i = 0; i < maxRequests; i++) {
    const res = await request({ port, socketPath });
    if (res.status !== 200) throw new Error(`status ${res.status}: ${res.body}`);
    seen.add(Number(res.body.trim().split(/\s+/).pop()));
    if (expect && [...expect].every((pid) => seen.has(pid))) break;
  }
  return seen;
}
