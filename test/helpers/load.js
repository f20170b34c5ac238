// Client loops for tests that count lost requests under load: each loop sends
// one request at a time until stopped, on a new connection per request
// (agent: false) or over a keep-alive agent. Failures are kept by kind
// (ECONNRESET, status 502...) so an assertion can say what was lost.
import http from 'node:http';

export function startLoad({ port, host = '127.0.0.1', loops = 20, agent = false, timeoutMs = 10_000 }) {
  const stats = { ok: 0, failures: [] };
  let stop = false;
  const one = () =>
    new Promise((resolve) => {
      const req = http.get({ host, port, agent }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) stats.ok++;
          else stats.failures.push(`status ${res.statusCode}`);
          resolve();
        });
        res.on('error', (err) => {
          stats.failures.push(err.code ?? err.message);
          resolve();
        });
      });
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`no response within ${timeoutMs} ms`)));
      req.on('error', (err) => {
        stats.failures.push(err.code ?? err.message);
        resolve();
      });
    });
  const running = Promise.all(
    Array.from({ length: loops }, async () => {
      while (!stop) await one();
    }),
  );
  return {
    stats,
    /** Stops the loops and resolves once every request in flight has ended. */
    async stop() {
      stop = true;
      await running;
      return stats;
    },
  };
}

/** `failures` as { kind: count }, for messages. */
export function countKinds(failures) {
  const out = {};
  for (const f of failures) out[f] = (out[f] ?? 0) + 1;
  return out;
}
