// What a test saw of one supervisor, whichever way it runs (a `drover run`
// child's JSON log lines, or a Supervisor in the test process): the records
// in order, the processes it started (to end them and to check that nothing
// is left), and waiting for an event against a deadline.
import { assertAllGone, identify, isAlive, killTree } from './procs.js';
import { BOOT_TIMEOUT_MS, waitFor } from './wait.js';

export class EventLog {
  /** context(): appended to a timeout's message (e.g. the child's stderr so far). */
  constructor({ context = () => '' } = {}) {
    /** Every record in arrival order, each stamped with `at` (Date.now() on arrival). */
    this.records = [];
    /** pid → identity of every process to end and check: workers, the agent, extras a test adds. */
    this.tracked = new Map();
    this.context = context;
    // Bound, so a test may destructure them: const { of, assertNothingLeft } = app.
    for (const m of ['events', 'waitEvent', 'track', 'assertNothingLeft']) this[m] = this[m].bind(this);
    /** events() under its short name, as the library-API tests call it. */
    this.of = this.events;
  }

  add(record) {
    record.at = Date.now();
    this.records.push(record);
    // Identified at once, while the process surely still runs (for pid-reuse safety).
    if ((record.event === 'fork' || record.event === 'agent-spawn') && typeof record.pid === 'number') this.track(record.pid);
  }

  track(pid) {
    if (!this.tracked.has(pid)) this.tracked.set(pid, identify(pid));
  }

  /** Lifecycle events (records with an `event` field) in order, optionally by name and filter. */
  events(name, filter = () => true) {
    return this.records.filter((r) => r.event !== undefined && (name === undefined || r.event === name) && filter(r));
  }

  /** The count-th event of that name passing filter, once it is there. */
  waitEvent(name, filter = () => true, { timeoutMs = BOOT_TIMEOUT_MS, count = 1 } = {}) {
    return waitFor(
      () => {
        const found = this.events(name, filter);
        return found.length >= count ? found[count - 1] : undefined;
      },
      { timeoutMs, message: `${count} '${name}' event(s)${this.context()}` },
    );
  }

  /** None of the tracked processes is alive (waits up to timeoutMs; fails naming survivors). */
  assertNothingLeft({ timeoutMs = 5_000, what = 'workers, the agent or their children' } = {}) {
    return assertAllGone([...this.tracked.values()], { timeoutMs, what });
  }

  /** SIGKILL to every tracked process still alive, and to its group. */
  killLeft({ except = [] } = {}) {
    for (const proc of this.tracked.values()) if (!except.includes(proc.pid) && isAlive(proc)) killTree(proc);
  }
}
