// Apps of state-worker.js fixtures for the shared state tests: started with
// supervise() in the test process, driven over messaging, watch events
// collected on the master.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fixture, superviseForTest, BOOT_TIMEOUT_MS } from './drover.js';
import { waitFor, withTimeout } from './wait.js';

export const STATE_WORKER = fixture('state-worker.js');

/** A temporary directory removed after the test. */
export function tempDir(t, prefix = 'drover-state-') {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export async function startStateApp(t, options = {}) {
  const app = await superviseForTest(t, { script: STATE_WORKER, instances: 2, waitReady: true, heartbeatIntervalMs: 0, restartDelayMs: 0, logLevel: 'silent', ...options });
  const watchEvents = [];
  const acked = [];
  app.sup.messages.on('watch-ev', (e) => watchEvents.push(e));
  app.sup.messages.on('acked', (e) => acked.push(e));
  await withTimeout(app.sup.ready, BOOT_TIMEOUT_MS, 'the workers to be ready');
  // ready() waits 2 s at most for the hub connection: on a loaded machine a worker can be ready a moment before it is reachable.
  for (const w of app.sup.workers()) {
    await waitFor(() => app.sup.messages.request(w.slot, 'status', {}).then(() => true), { timeoutMs: BOOT_TIMEOUT_MS, message: `worker ${w.slot} to be reachable` });
  }
  /** request(to, topic, args) → the value, or throws what the worker got. */
  const ask = async (to, topic, args) => {
    const r = await app.sup.messages.request(to, topic, args, { timeoutMs: 120_000 });
    if (!r.ok) throw Object.assign(new Error(r.message), { code: r.code, details: r.details });
    return r.value;
  };
  const stop = () => withTimeout(app.sup.stop(), BOOT_TIMEOUT_MS, 'the supervisor to stop');
  return { ...app, watchEvents, acked, ask, stop, server: () => app.sup['stateStore'].server };
}
