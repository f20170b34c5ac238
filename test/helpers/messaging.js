// Messaging integration tests: a Supervisor in the test process (so the test
// is the master and can use supervisor.messages), its workers tracked from
// their fork events and ended after the test whatever happens, and the
// master's log lines captured when a test needs them.
import { Writable } from 'node:stream';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { identify, isAlive, killTree, assertAllGone } from './procs.js';
import { waitFor, withTimeout } from './wait.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const fixture = (name) => path.join(ROOT, 'test/fixtures', name);

const EVENTS = ['fork', 'online', 'ready', 'crash', 'exit', 'restart', 'giveup', 'started', 'start-failed', 'stopping', 'stopped', 'agent-spawn', 'agent-crash', 'agent-exit', 'agent-restart'];

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
  const sup = new Supervisor(spec, { logger, messaging });
  const events = [];
  const tracked = new Map();
  for (const name of EVENTS) {
    sup.on(name, (e) => {
      events.push({ ...e, at: Date.now() });
      if ((name === 'fork' || name === 'agent-spawn') && typeof e.pid === 'number') tracked.set(e.pid, identify(e.pid));
    });
  }
  t.after(async () => {
    if (!sup.outcome) await withTimeout(sup.stop({ force: true }), 5_000, 'the supervisor to stop').catch(() => {});
    for (const proc of tracked.values()) if (isAlive(proc)) killTree(proc);
  });
  const of = (name, filter = () => true) => events.filter((e) => e.event === name && filter(e));
  return {
    sup,
    events,
    of,
    /** The hub, for its stats (a private field of the supervisor). */
    get hub() {
      return sup.hub;
    },
    async start() {
      sup.start();
      return withTimeout(sup.ready, 20_000, 'the workers to be ready');
    },
    /** pid of the live (not exited) worker in a slot. */
    pidOf(slot) {
      const exited = new Set(of('exit').map((e) => e.wid));
      return of('fork', (e) => e.slot === slot && !exited.has(e.wid)).at(-1)?.pid;
    },
    waitEvent(name, filter = () => true, timeoutMs = 10_000) {
      return waitFor(() => of(name, filter)[0], { timeoutMs, message: `a '${name}' event` });
    },
    async stop() {
      await withTimeout(sup.stop(), 10_000, 'the supervisor to stop');
      await assertAllGone([...tracked.values()], { what: 'workers' });
    },
  };
}

/** Collects what master listeners receive on a topic. */
export function collect(sup, topic) {
  const got = [];
  sup.messages.on(topic, (payload, meta) => got.push({ payload, from: meta.from, at: Date.now() }));
  return got;
}
