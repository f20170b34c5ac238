// Apps of state-worker.js fixtures for the shared state tests: started with
// supervise() in the test process, driven over messaging, watch events
// collected on the master.
import { fixture } from './paths.js';
import { superviseForTest } from './supervisor.js';
import { BOOT_TIMEOUT_MS, waitFor } from './wait.js';

export const STATE_WORKER = fixture('state-worker.js');

/**
 * The app (an EventLog from superviseForTest, with sup, ready() and stop()),
 * plus: watchEvents and acked (what the workers report), ask(to, topic, args)
 * (the value, or throws what the worker got), server() (the store's server).
 */
export async function startStateApp(t, options = {}) {
  const app = await superviseForTest(t, { script: STATE_WORKER, instances: 2, waitReady: true, heartbeatIntervalMs: 0, restartDelayMs: 0, logLevel: 'silent', ...options });
  const watchEvents = [];
  const acked = [];
  app.sup.messages.on('watch-ev', (e) => watchEvents.push(e));
  app.sup.messages.on('acked', (e) => acked.push(e));
  await app.ready();
  // ready() waits 2 s at most for the hub connection: on a loaded machine a worker can be ready a moment before it is reachable.
  for (const w of app.sup.workers()) {
    await waitFor(() => app.sup.messages.request(w.slot, 'status', {}).then(() => true), { timeoutMs: BOOT_TIMEOUT_MS, message: `worker ${w.slot} to be reachable` });
  }
  const ask = async (to, topic, args) => {
    const r = await app.sup.messages.request(to, topic, args, { timeoutMs: 120_000 });
    if (!r.ok) throw Object.assign(new Error(r.message), { code: r.code, details: r.details });
    return r.value;
  };
  return Object.assign(app, { watchEvents, acked, ask, server: () => app.sup['stateStore'].server });
}
