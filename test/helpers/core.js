// A fake world for the pure core: feeds events to step() at a fake monotonic
// time, keeps the armed timers (key → due time) and fires them when the clock
// is advanced, and records every effect. No processes, no real time.
import { fileURLToPath } from 'node:url';
import { resolveSpec } from '../../dist/config/resolve.js';
import { initialState, step } from '../../dist/core/step.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/hello.js', import.meta.url));

/**
 * A full AppSpec: the real defaults (so fields added later are filled in), with
 * the values these tests rely on pinned, then the test's own overrides.
 */
export function makeSpec(overrides = {}) {
  return {
    ...resolveSpec({ script: EXAMPLE, logLevel: 'silent' }),
    instances: 1,
    restart: 'always',
    stopExitCodes: [],
    maxRestarts: 10,
    restartWindowMs: 60_000,
    restartDelayMs: 0,
    maxRestartDelayMs: 0,
    minUptimeMs: 1_000,
    killTimeoutMs: 5_000,
    stopSignal: 'SIGTERM',
    readyOn: 'listen',
    readyTimeoutMs: 30_000,
    balance: 'round-robin',
    spares: 0,
    heartbeatIntervalMs: 0,
    maxMemoryBytes: undefined,
    maxRequests: 0,
    watch: false,
    cronRestart: undefined,
    ...overrides,
  };
}

export class Sim {
  constructor(specOverrides = {}) {
    this.spec = makeSpec(specOverrides);
    this.state = initialState(this.spec);
    this.now = 0;
    /** key → due time (fake ms) */
    this.timers = new Map();
    /** Every effect so far, in order. */
    this.log = [];
    this.nextPid = 1000;
  }

  /** One event at the current fake time; returns that step's effects. */
  send(event) {
    const { state, effects } = step(this.state, event, this.now);
    this.state = state;
    for (const e of effects) {
      this.log.push(e);
      if (e.type === 'arm') this.timers.set(e.key, this.now + e.ms);
      if (e.type === 'cancel') this.timers.delete(e.key);
    }
    return effects;
  }

  /** Moves the clock to `to`, firing due timers in due order; returns the effects of those firings. */
  advance(to) {
    const out = [];
    for (;;) {
      const due = [...this.timers].filter(([, at]) => at <= to).sort((a, b) => a[1] - b[1])[0];
      if (!due) break;
      const [key, at] = due;
      this.timers.delete(key);
      this.now = Math.max(this.now, at);
      out.push(...this.send({ type: 'timer', key }));
    }
    this.now = Math.max(this.now, to);
    return out;
  }

  at(time) {
    this.advance(time);
    return this;
  }

  worker(wid) {
    return this.state.workers.find((w) => w.wid === wid);
  }

  /** Spawned + listening (readyOn listen) for one worker. */
  boot(wid) {
    this.send({ type: 'spawned', wid, pid: this.nextPid++, random: 0 });
    this.send({ type: 'online', wid });
    return this.send({ type: 'listening', wid, address: '[::]:3000' });
  }

  /** Boots every worker the effects asked to spawn. */
  bootSpawned(effects) {
    for (const e of effects) if (e.type === 'spawn') this.boot(e.wid);
  }

  /** start, then every worker ready: the app runs. */
  startAll() {
    const effects = this.send({ type: 'start' });
    this.bootSpawned(effects);
    return effects;
  }

  exit(wid, code = 1, signal = null) {
    return this.send({ type: 'exited', wid, code, signal });
  }

  /** Lifecycle events emitted so far (or by the given effects), optionally by name. */
  emitted(name, effects = this.log) {
    return effects.filter((e) => e.type === 'emit' && (name === undefined || e.event.event === name)).map((e) => e.event);
  }

  halts(effects = this.log) {
    return effects.filter((e) => e.type === 'halt');
  }

  spawns(effects = this.log) {
    return effects.filter((e) => e.type === 'spawn');
  }

  /** The wid of the live worker in a slot (not stopping). */
  inSlot(slot) {
    return this.state.workers.find((w) => w.slot === slot && w.phase !== 'stopping')?.wid;
  }
}
