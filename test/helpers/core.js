// @ts-check
// A fake world for the pure core: feeds events to step() at a fake monotonic
// time, keeps the armed timers (key → due time) and fires them when the clock
// is advanced, and records every effect. No processes, no real time.
// Type-checked (test/tsconfig.json) against the core's types: a test that
// sends an event or reads an effect the core no longer has fails to compile.
import { resolveSpec } from '../../dist/config/resolve.js';
import { initialState, step } from '../../dist/core/step.js';
import { example } from './paths.js';

/** @typedef {import('../../dist/core/types.js').AppSpec} AppSpec */
/** @typedef {import('../../dist/core/types.js').Event} Event */
/** @typedef {import('../../dist/core/types.js').Effect} Effect */
/** @typedef {import('../../dist/core/types.js').LifecycleEvent} LifecycleEvent */
/** @typedef {import('../../dist/core/types.js').State} State */
/** @typedef {import('../../dist/core/types.js').TimerKey} TimerKey */
/** @typedef {import('../../dist/core/types.js').WorkerRec} WorkerRec */
/** @typedef {import('../../dist/core/types.js').RestartPolicy} RestartPolicy */
/** @typedef {import('../../dist/core/types.js').AgentSpec} AgentSpec */
/**
 * The effect of one type, e.g. EffectOf<'spawn'>.
 * @template {Effect['type']} T
 * @typedef {Extract<Effect, { type: T }>} EffectOf
 */
/**
 * The lifecycle event of one name, e.g. EmittedOf<'exit'>.
 * @template {LifecycleEvent['event']} N
 * @typedef {Extract<LifecycleEvent, { event: N }>} EmittedOf
 */

const EXAMPLE = example('hello.js');

/**
 * Restart policy × how a worker ended → is it restarted? One table for the
 * policy's own unit test (wantsRestart) and the core's (step), so the two
 * cannot drift apart. Rows: [restart, exit code, signal, restarted].
 * @type {ReadonlyArray<readonly [RestartPolicy, number | null, string | null, boolean]>}
 */
export const RESTART_CASES = [
  ['always', 0, null, true],
  ['always', 1, null, true],
  ['always', null, 'SIGKILL', true],
  ['on-failure', 0, null, false],
  ['on-failure', 1, null, true],
  ['on-failure', 2, null, true],
  ['on-failure', null, 'SIGKILL', true],
  ['on-failure', null, 'SIGTERM', true],
  ['never', 0, null, false],
  ['never', 1, null, false],
  ['never', null, 'SIGKILL', false],
];

/**
 * A full AppSpec: the real defaults (so fields added later are filled in), with
 * the values these tests rely on pinned, then the test's own overrides.
 * @param {Partial<AppSpec>} [overrides]
 * @returns {AppSpec}
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

/**
 * A Sim whose app runs: started, every worker booted and ready.
 * @param {Partial<AppSpec>} [overrides] instances defaults to 2
 */
export function runningSim(overrides = {}) {
  const sim = new Sim({ instances: 2, ...overrides });
  sim.startAll();
  if (sim.state.phase !== 'running') throw new Error(`the app does not run after startAll() (phase ${sim.state.phase})`);
  return sim;
}

export class Sim {
  /** @param {Partial<AppSpec>} [specOverrides] */
  constructor(specOverrides = {}) {
    this.spec = makeSpec(specOverrides);
    /** @type {State} */
    this.state = initialState(this.spec);
    this.now = 0;
    /** key → due time (fake ms) @type {Map<TimerKey, number>} */
    this.timers = new Map();
    /** Every effect so far, in order. @type {Effect[]} */
    this.log = [];
    this.nextPid = 1000;
  }

  /**
   * One event at the current fake time; returns that step's effects.
   * @param {Event} event
   * @returns {readonly Effect[]}
   */
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

  /**
   * Moves the clock to `to`, firing due timers in due order; returns the effects of those firings.
   * @param {number} to
   * @returns {Effect[]}
   */
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

  /** @param {number} time */
  at(time) {
    this.advance(time);
    return this;
  }

  /**
   * @param {number} wid
   * @returns {WorkerRec | undefined}
   */
  worker(wid) {
    return this.state.workers.find((w) => w.wid === wid);
  }

  /**
   * Spawned + listening (readyOn listen) for one worker.
   * @param {number} wid
   */
  boot(wid) {
    this.send({ type: 'spawned', wid, pid: this.nextPid++, random: 0 });
    this.send({ type: 'online', wid });
    return this.send({ type: 'listening', wid, address: '[::]:3000' });
  }

  /**
   * Boots every worker the effects asked to spawn.
   * @param {readonly Effect[]} effects
   */
  bootSpawned(effects) {
    for (const e of effects) if (e.type === 'spawn') this.boot(e.wid);
  }

  /** start, then every worker ready: the app runs. */
  startAll() {
    const effects = this.send({ type: 'start' });
    this.bootSpawned(effects);
    return effects;
  }

  /**
   * @param {number} wid
   * @param {number | null} [code]
   * @param {string | null} [signal]
   */
  exit(wid, code = 1, signal = null) {
    return this.send({ type: 'exited', wid, code, signal });
  }

  /**
   * Lifecycle events emitted so far (or by the given effects), optionally by name.
   * @template {LifecycleEvent['event']} [N=LifecycleEvent['event']]
   * @param {N} [name]
   * @param {readonly Effect[]} [effects]
   * @returns {EmittedOf<N>[]}
   */
  emitted(name, effects = this.log) {
    const events = effects.flatMap((e) => (e.type === 'emit' && (name === undefined || e.event.event === name) ? [e.event] : []));
    return /** @type {EmittedOf<N>[]} */ (events);
  }

  /** @param {readonly Effect[]} [effects] */
  halts(effects = this.log) {
    return effects.filter((e) => e.type === 'halt');
  }

  /** @param {readonly Effect[]} [effects] */
  spawns(effects = this.log) {
    return effects.filter((e) => e.type === 'spawn');
  }

  /**
   * The wid of the live worker in a slot (not stopping).
   * @param {number} slot
   */
  inSlot(slot) {
    return this.state.workers.find((w) => w.slot === slot && w.phase !== 'stopping')?.wid;
  }
}
