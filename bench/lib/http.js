// Waiting for an app to answer HTTP 200, by polling against a deadline.
import http from 'node:http';
import { sleep } from './time.js';

function getStatus(url, timeoutMs) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

/**
 * Polls `url` until it answers 200. Resolves with the time it took (ms);
 * rejects with the last error once `deadlineMs` (relative) has passed.
 */
export async function waitForHttp200(url, { deadlineMs = 15000, intervalMs = 50 } = {}) {
  const start = Date.now();
  const deadline = start + deadlineMs;
  let last = 'no attempt';
  for (;;) {
    try {
      const status = await getStatus(url, Math.max(100, Math.min(2000, deadline - Date.now())));
      if (status === 200) return Date.now() - start;
      last = `HTTP ${status}`;
    } catch (err) {
      last = err.code || err.message;
    }
    if (Date.now() >= deadline) throw new Error(`${url} did not answer 200 within ${deadlineMs} ms (last: ${last})`);
    await sleep(Math.min(intervalMs, deadline - Date.now()));
  }
}
