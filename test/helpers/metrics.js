// The HTTP endpoint of `drover run --metrics-port 0`: where it listens (from
// the master's stderr line), requests with headers, and scraped pages parsed.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { request } from './http.js';
import { waitFor } from './wait.js';
import { parsePrometheus } from './prom-text.js';

/** Waits for the master's "metrics and health on http://host:port" line; returns the port. */
export async function metricsPort(d, { timeoutMs = 20_000 } = {}) {
  const m = await waitFor(() => /metrics and health on http:\/\/127\.0\.0\.1:(\d+)/.exec(d.stderr), { timeoutMs, message: `the metrics endpoint (stderr: ${d.stderr.slice(-300)})` });
  return Number(m[1]);
}

export function homeToken(home) {
  return readFileSync(path.join(home, 'http-token'), 'utf8').trim();
}

/** request() of http.js, with headers: { port, path, headers, method }. */
export const get = request;

/** GET /metrics with the token; the page parsed (throws when it is not valid Prometheus text). */
export async function scrape(port, token, headers = {}) {
  const res = await get({ port, path: '/metrics', headers: { authorization: `Bearer ${token}`, ...headers } });
  if (res.status !== 200) throw new Error(`/metrics: ${res.status} ${res.body}`);
  return { ...parsePrometheus(res.body), text: res.body, headers: res.headers };
}

/**
 * Scrapes until check(page) holds: workers push their app metrics every
 * metricsIntervalMs (1 s by default), so a count made just now shows within it.
 */
export async function scrapeUntil(port, token, check, { message = 'the expected metrics', timeoutMs = 10_000 } = {}) {
  let last;
  try {
    return await waitFor(
      async () => {
        last = await scrape(port, token);
        return check(last) ? last : false;
      },
      { timeoutMs, intervalMs: 50, message },
    );
  } catch (err) {
    const samples = last?.text.split('\n').filter((l) => l && !l.startsWith('#') && !l.startsWith('drover_master_') && !l.startsWith('drover_daemon_'));
    throw new Error(`${err.message}; last page: ${samples?.join(' | ').slice(0, 1500)}`);
  }
}
