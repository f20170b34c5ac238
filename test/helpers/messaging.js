// Messaging integration tests: a Supervisor in the test process (so the test
// is the master and can use supervisor.messages), watched like any
// supervisor-for-test (events recorded, processes ended after the test), and
// the master's log lines captured when a test needs them.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { fixture } from './paths.js';
import { watchSupervisor } from './supervisor.js';

export { fixture };

/** A pino logger whose JSON lines land in `records`. */
export function captureLog() {
  const records = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const line of chunk.toString().split('\n')) if (line) records.push(JSON.parse(line));
      cb();
    },
  });
  return { logger: pino({ level: 'debug', base: undefined }, stream), records };
}

/**
 * Creates (not starts) a supervisor; register master listeners on app.sup.messages,
 * then `await app.start()`. Ended after the test, its workers killed.
 */
export async function makeApp(t, { script = fixture('messaging-worker.js'), instances = 2, env = {}, messaging, logger = false, options = {} } = {}) {
  const { AppSupervisor: Supervisor } = await import('../../dist/runtime/supervisor.js');
  const { resolveSpec } = await import('../../dist/config/resolve.js');
  const spec = resolveSpec({ script, instances, waitReady: true, heartbeatIntervalMs: 0, restartDelayMs: 0, env, logLevel: 'silent', ...options });
  const app = watchSupervisor(t, new Supervisor(spec, { logger, messaging }));
  const { sup, of } = app;
  /** The hub, for its stats (a private field of the supervisor). */
  Object.defineProperty(app, 'hub', { get: () => sup.hub });
  return Object.assign(app, {
    start() {
      sup.start();
      return app.ready();
    },
    /** pid of the live (not exited) worker in a slot. */
    pidOf(slot) {
      const exited = new Set(of('exit').map((e) => e.wid));
      return of('fork', (e) => e.slot === slot && !exited.has(e.wid)).at(-1)?.pid;
    },
  });
}

/** Collects what master listeners receive on a topic. */
export function collect(sup, topic) {
  const got = [];
  sup.messages.on(topic, (payload, meta) => got.push({ payload, from: meta.from, at: Date.now() }));
  return got;
}
