// A supervisor in the test process: the library's supervise(), or the
// runtime's Supervisor class when a test needs its constructor options. Every
// lifecycle event it emits is recorded (an EventLog), and after the test it is
// force-stopped and every process it started is killed, also on failure.
import { EventLog } from './events.js';
import { BOOT_TIMEOUT_MS, withTimeout } from './wait.js';

/** Records every lifecycle event of `sup` and ends it after the test; returns the EventLog with `sup` and stop(). */
export function watchSupervisor(t, sup) {
  const log = new EventLog();
  // Every event whose payload names itself ({ event: name, ... }), whatever the
  // name: wrapping emit instead of listening to a list of names, so an event
  // added to the core is recorded without editing this file. Runs before the
  // test's own listeners, so a listener finds its event already recorded.
  const emit = sup.emit;
  sup.emit = function (name, payload, ...rest) {
    if (payload !== null && typeof payload === 'object' && payload.event === name) log.add({ ...payload });
    return emit.call(this, name, payload, ...rest);
  };
  t.after(async () => {
    if (!sup.outcome) await withTimeout(sup.stop({ force: true }), 5_000, 'the supervisor to stop').catch(() => {});
    log.killLeft();
  });
  return Object.assign(log, {
    sup,
    /** sup.ready against a deadline: resolves with its start info. */
    ready({ timeoutMs = BOOT_TIMEOUT_MS } = {}) {
      return withTimeout(sup.ready, timeoutMs, 'the workers to be ready');
    },
    /** A clean (not forced) stop, then nothing left running; resolves with the outcome. */
    async stop({ timeoutMs = BOOT_TIMEOUT_MS } = {}) {
      const outcome = await withTimeout(sup.stop(), timeoutMs, 'the supervisor to stop');
      await log.assertNothingLeft();
      return outcome;
    },
  });
}

/** supervise(options) with no logger, watched (see watchSupervisor). */
export async function superviseForTest(t, options) {
  const { supervise } = await import('../../dist/index.js');
  return watchSupervisor(t, supervise(options, { logger: false }));
}
