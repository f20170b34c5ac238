// The impure shell around the pure core: one event queue, timers, processes,
// sockets. Handlers (child events, IPC, timers, commands) only enqueue; the
// queue is drained through step() and the effects are carried out here. The
// shell decides nothing about policy: who is in the balancer, what a reload may
// change and when to restart are the core's (src/core/).
import { EventEmitter } from 'node:events';
import { trace, tracing } from '../control/trace.js';
import type { ChildProcess } from 'node:child_process';
import { monotonicMs } from '../platform/clock.js';
import { assertNever } from '../core/assert-never.js';
import { inBalancer, initialState, step } from '../core/step.js';
import type { AppSpec, Effect, Event, LifecycleEvent, Outcome, State, TimerKey, Triggers } from '../core/types.js';
import { DroverError, exitCodeOf, isDroverError } from '../errors.js';
import { guardAcks, sendHandle } from '../protocol/handoff.js';
import { envelope, type BoundAddress, type MasterToWorker } from '../protocol/messages.js';
import { describe, levelOf } from './describe.js';
import { ListenBroker } from './listen-broker.js';
import { createLogger, type Logger } from './logger.js';
import { onWorkerMessage } from './worker-ipc.js';
import { shareNice, weighAutogroups } from './autogroup.js';
import { startAgent, startWorker } from './process-host.js';
import { listenToAgent } from './agent-channel.js';
import { signalGroup } from './terminate.js';
import { GroupGuard } from './group-guard.js';
import { boundChannel } from './ipc-bound.js';
import { IPC_MAX_MESSAGE_ENV, ipcMaxMessage } from '../protocol/ipc-limit.js';
import type { AbuseEvent, HubOptions, MessageCounts } from '../messaging/hub.js';
import { HubFront } from '../messaging/hub-front.js';
import type { Messenger } from '../messaging/endpoint.js';
import { DeferredRestarts } from './deferred-restarts.js';
import { AppTree } from './tree-sweep.js';
import { startState, type MasterState } from '../state/master.js';
import type { StateApi } from '../state/types.js';
import type { StateClient } from '../state/client.js';

export interface WorkerInfo {
  readonly wid: number;
  readonly slot: number;
  readonly pid: number | undefined;
  readonly phase: string;
  readonly uptimeMs: number;
  readonly connectionsHanded: number;
  /** Open connections now. */
  readonly connections: number;
  readonly role: 'active' | 'spare';
}

export interface AgentInfo {
  readonly wid: number;
  readonly pid: number | undefined;
  readonly uptimeMs: number;
  readonly stopping: boolean;
}

export interface StartInfo {
  readonly workers: number;
  readonly durationMs: number;
  readonly addresses: readonly BoundAddress[];
}

export interface RuntimeOptions {
  /** A pino logger, or false for none. Default: JSON lines on stdout at spec.logLevel. */
  readonly logger?: Logger | false;
  /**
   * The spec a reload without a new one puts in force: the caller re-resolves
   * the options the app was started with (env files, script). Default: the
   * spec in force. (The shell never reads options itself: see src/supervise.ts.)
   */
  readonly respec?: () => AppSpec;
  /** Messaging between master, workers and agent: serialization, limits, overflow policy. */
  readonly messaging?: Omit<HubOptions, 'log'>;
  /**
   * When set, the stdout/stderr of workers and agent are pipes and every chunk
   * read is passed here (the daemon's app master writes them to the app's log
   * files), labelled with the worker's slot or 'agent'; a null chunk means that
   * pipe ended. Unset: they inherit the master's stdio.
   */
  readonly output?: (source: { readonly wid: number; readonly slot: number | 'agent' }, stream: 'out' | 'err', chunk: Buffer | null) => void;
}

export interface ReloadInfo {
  readonly id: number;
  readonly workers: number;
  readonly durationMs: number;
}


/** The app master's shell (the public handle with option resolution is src/supervise.ts). */
export class AppSupervisor extends EventEmitter {
  private state: State;
  private readonly deferredRestarts = new DeferredRestarts();
  /** Tracks the app's whole process tree (a cgroup, the environment mark), for the sweep at halt (tree-sweep.ts). */
  private readonly tree: AppTree;
  /** Events, each with what the shell must do once its step's forks are made (see enqueue). */
  private readonly queue: Array<{ readonly event: Event; readonly afterForks: (() => void) | undefined }> = [];
  private draining = false;
  private readonly timers = new Map<TimerKey, NodeJS.Timeout>();
  private readonly children = new Map<number, ChildProcess>();
  private readonly broker: ListenBroker;
  private readonly log: Logger | undefined;
  private settle!: (outcome: Outcome) => void;
  private outcomeValue: Outcome | undefined;
  private readonly respec: (() => AppSpec) | undefined;
  private readonly output: RuntimeOptions['output'];
  private heartbeat: NodeJS.Timeout | undefined;
  private pingSeq = 0;
  /** Stops the watch/cron triggers in force; replaced by each `triggers` effect. */
  private stopTriggers: () => unknown = () => {};
  /** Bumped by each `triggers` effect: a trigger set still loading when a newer one arrived is dropped. */
  private triggerGeneration = 0;
  /** Ends the workers' process groups if this process dies without doing it (SIGKILL). */
  private readonly guard = new GroupGuard();
  private readonly ipcMax: number;

  /** The message hub: a unix socket the workers connect to on their first messaging call (the hub proper loads then: hub-front.ts). */
  private readonly hub: HubFront;
  /** send/request/handle/on/publish for the master, as drover/worker offers them to workers. */
  readonly messages: Messenger;

  private readonly stateStore: MasterState;
  /** The shared state store, with the API workers get as `state` from drover/worker (and list() for operators). */
  readonly store: StateApi & Pick<StateClient, 'list'>;

  /** Resolves when every worker is ready the first time; rejects when the start fails. */
  readonly ready: Promise<StartInfo>;
  /** Resolves when the supervisor has stopped (after stop(), give-up or a failed start). */
  readonly done: Promise<Outcome>;

  constructor(
    readonly spec: AppSpec,
    options: RuntimeOptions = {},
  ) {
    super();
    this.state = initialState(spec);
    this.respec = options.respec;
    this.output = options.output;
    this.ipcMax = spec.ipcMaxMessageBytes ?? ipcMaxMessage();
    this.tree = new AppTree(spec.treeTracking ?? 'auto', spec.name);
    this.log = options.logger === false ? undefined : (options.logger ?? createLogger(spec.logLevel, { app: spec.name }));
    this.hub = new HubFront({ ...options.messaging, log: this.log });
    this.messages = this.hub.api;
    // Shared state (issue 12): the store's server behind the hub, and the master's own client.
    this.stateStore = startState(spec.state, this.messages, this.log, this.hub);
    this.store = this.stateStore.client;
    // Repeated abuse of the message channels: a worker is replaced like one that announced its crash (replacement
    // first, then a graceful stop); the agent is stopped, and restarted once it has exited.
    // A worker (or the agent) that is ready gets CONNECT_GRACE_MS more to connect to the hub; calls to it wait until then.
    this.on('ready', (e: { wid: number }) => this.hub.ready(e.wid));
    this.on('agent-ready', (e: { wid: number }) => this.hub.ready(e.wid));
    this.hub.on('abuse', (e: AbuseEvent) => this.enqueue({ type: 'exiting', wid: e.wid, error: `replaced for abusing the message channels: ${e.reason}`, abuse: true }));
    this.broker = new ListenBroker({
      balance: () => this.state.spec.balance,
      stickyKey: () => this.state.spec.stickyKey,
      send: (child, message, handle) => this.sendTo(child, message, handle),
      enqueue: (event) => this.enqueue(event),
      inBalancer: (wid) => {
        const w = this.state.workers.find((x) => x.wid === wid);
        return w !== undefined && inBalancer(w);
      },
      weightOf: (wid) => this.weightOf(wid),
      slotOf: (wid) => this.state.workers.find((x) => x.wid === wid)?.slot,
      log: this.log,
    });
    this.broker.childOf = (wid) => this.children.get(wid);
    this.done = new Promise((resolve) => (this.settle = resolve));
    this.ready = new Promise<StartInfo>((resolve, reject) => {
      const onStarted = (e: { workers: number; durationMs: number }) => {
        this.off('halt', onHalt);
        resolve({ workers: e.workers, durationMs: e.durationMs, addresses: this.addresses() });
      };
      const onHalt = (outcome: Outcome) => {
        this.off('started', onStarted);
        const error = outcome.error
          ? new DroverError(outcome.error.code, outcome.error.message)
          : new DroverError('DROVER_E_STOPPED', 'the supervisor was stopped before its workers were ready');
        reject(error);
      };
      this.once('started', onStarted);
      this.once('halt', onHalt);
    });
    // Callers that only await `done` must not crash on an unobserved rejection.
    this.ready.catch(() => {});
  }

  start(): this {
    trace('master: cgroup');
    this.tree.open(this.log);
    trace('master: cgroup made');
    if (this.tree.cgroupDir) this.guard.cgroup(this.tree.cgroupDir);
    else this.guard.arm();
    trace('master: guard started');
    this.enqueue({ type: 'start' });
    return this;
  }

  /** Instead of start(): ends before any process starts (what the start needed, such as the library's HTTP endpoint, failed). */
  abortStart(err: unknown): void {
    const error = isDroverError(err) ? { code: err.code, message: err.message } : { code: 'DROVER_E_INTERNAL' as const, message: (err as Error)?.message ?? String(err) };
    void this.halt({ exitCode: exitCodeOf(err), error });
  }

  stop(options: { force?: boolean } = {}): Promise<Outcome> {
    this.enqueue({ type: 'stop', force: options.force });
    return this.done;
  }

  /**
   * Rolling reload: each worker is replaced by one started with `spec` (by
   * default the one `respec` gives, else the spec in force), which must become
   * ready before the old one leaves the balancer and drains. Rejects, keeping
   * the old workers serving, when a replacement fails; refuses a second reload
   * while one runs, and a change only a restart can make (core/reload-plan.ts).
   */
  reload(spec?: AppSpec): Promise<ReloadInfo> {
    let next: AppSpec;
    try {
      next = spec ?? this.respec?.() ?? this.state.spec;
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<ReloadInfo>((resolve, reject) => {
      let id: number | undefined;
      const cleanup = () => {
        this.off('reload-start', onStart);
        this.off('reload-refused', onRefused);
        this.off('reloaded', onDone);
        this.off('reload-failed', onFailed);
        this.off('halt', onHalt);
      };
      const onStart = (e: { id: number }) => {
        id ??= e.id;
      };
      const onRefused = (e: Extract<LifecycleEvent, { event: 'reload-refused' }>) => {
        if (id !== undefined) return;
        cleanup();
        reject(new DroverError(e.code, e.message));
      };
      const onDone = (e: ReloadInfo) => {
        if (e.id !== id) return;
        cleanup();
        resolve({ id: e.id, workers: e.workers, durationMs: e.durationMs });
      };
      const onFailed = (e: { id: number; message: string }) => {
        if (e.id !== id) return;
        cleanup();
        reject(new DroverError('DROVER_E_RELOAD_FAILED', `reload failed, the previous workers keep serving: ${e.message}`));
      };
      const onHalt = () => {
        cleanup();
        reject(new DroverError('DROVER_E_STOPPED', 'the supervisor stopped during the reload'));
      };
      this.on('reload-start', onStart);
      this.on('reload-refused', onRefused);
      this.on('reloaded', onDone);
      this.on('reload-failed', onFailed);
      this.on('halt', onHalt);
      this.enqueue({ type: 'reload', spec: next });
    });
  }

  /** reload() for triggers (SIGHUP, watch, cron): the outcome is in the log. */
  requestReload(trigger: string): void {
    this.log?.info({ event: 'reload-requested', trigger }, `reload requested by ${trigger}`);
    this.emit('reload-requested', { trigger });
    this.reload().catch(() => {});
  }

  /** The `heartbeat` effect: pings from now on every intervalMs (0: none). */
  private setHeartbeat(intervalMs: number): void {
    clearInterval(this.heartbeat);
    this.heartbeat = intervalMs > 0 ? setInterval(() => this.ping(), intervalMs) : undefined;
  }

  /** The `triggers` effect: the previous watch/cron stop, the new ones start. */
  private async setTriggers(t: Triggers): Promise<void> {
    const generation = ++this.triggerGeneration;
    const previous = this.stopTriggers;
    this.stopTriggers = () => {};
    await previous();
    if (t.watch === false && t.cronRestart === undefined) return;
    // Loaded only when used: the file watcher and cron parser cost the master ~10 MB.
    const { cronSchedule, watchFiles } = await import('./triggers.js');
    if (this.outcomeValue || generation !== this.triggerGeneration) return;
    const stops: Array<() => unknown> = [];
    if (t.watch !== false) {
      stops.push(
        watchFiles(
          t.cwd,
          t.watch,
          t.watchDebounceMs,
          (files) => this.requestReload(`change of ${files.join(', ')}`),
          () => this.emit('watching', { cwd: t.cwd }),
        ),
      );
    }
    const cron = t.cronRestart;
    if (cron !== undefined) stops.push(cronSchedule(cron, () => this.requestReload(`cron ${cron}`)));
    this.stopTriggers = () => Promise.all(stops.map((stop) => stop()));
    this.emit('triggers', { watch: t.watch, cronRestart: t.cronRestart });
  }

  /** Pings every ready worker; the reply comes from its event loop (a blocked loop stays silent). */
  private ping(): void {
    const seq = ++this.pingSeq;
    for (const w of this.state.workers) {
      if (w.phase !== 'ready') continue;
      const child = this.children.get(w.wid);
      if (child?.connected) this.sendTo(child, { kind: 'ping', seq });
    }
  }

  scale(instances: number): void {
    if (!Number.isInteger(instances) || instances < 0) {
      throw new DroverError('DROVER_E_INVALID_OPTION', `scale(${instances}): the worker count must be a whole number >= 0`);
    }
    this.enqueue({ type: 'scale', instances });
    // Scaling down spawns nobody: the workers that stay are re-weighed here.
    this.weighCpu(undefined);
  }

  get desired(): number {
    return this.state.desired;
  }

  get phase(): State['phase'] {
    return this.state.phase;
  }

  get outcome(): Outcome | undefined {
    return this.outcomeValue;
  }

  /** The spec in force (a reload replaces it; a failed reload puts the previous one back). */
  get current(): AppSpec {
    return this.state.spec;
  }

  /** Messages through this master since it started, by kind (drover_messages_total). */
  messageCounts(): Readonly<MessageCounts> {
    return this.hub.counts;
  }

  workers(): WorkerInfo[] {
    const now = monotonicMs();
    return this.state.workers.map((w) => ({
      wid: w.wid,
      slot: w.slot,
      pid: w.pid,
      phase: w.phase,
      uptimeMs: Math.round(now - w.startedAt),
      connectionsHanded: this.broker.registry.handedTo(w.wid),
      connections: this.broker.connections(w.wid),
      role: w.role,
    }));
  }

  /** The agent process that runs now, if any. */
  agent(): AgentInfo | undefined {
    const p = this.state.agent.proc;
    return p && { wid: p.wid, pid: p.pid, uptimeMs: Math.round(monotonicMs() - p.startedAt), stopping: p.stopping };
  }

  addresses(): BoundAddress[] {
    return this.broker.addresses();
  }

  // ── the loop ────────────────────────────────────────────────────────────

  /**
   * afterForks: shell work that belongs to this event but can wait for the
   * forks its step decides (the cleanup of an exited process: issue 17). It
   * runs after those forks and before the step's other effects, so every
   * effect still sees it done.
   */
  private enqueue(event: Event, afterForks?: () => void): void {
    this.queue.push({ event, afterForks });
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.queue.length > 0) {
        const next = this.queue.shift()!;
        const { state, effects } = step(this.state, next.event, monotonicMs());
        this.state = state;
        // Forks first: a replacement after a crash boots while the rest of the
        // step (its exit and restart log lines, timers, listeners of those
        // events) is carried out, instead of after it (issue 17). No other
        // effect of a step needs to precede a fork: the new process's events
        // (spawned, its messages) are queued and handled after this step.
        for (const effect of effects) if (effect.type === 'spawn') this.perform(effect);
        next.afterForks?.();
        for (const effect of effects) if (effect.type !== 'spawn') this.perform(effect);
      }
    } finally {
      this.draining = false;
    }
  }

  private perform(effect: Effect): void {
    switch (effect.type) {
      case 'spawn':
        return this.spawn(effect.wid, effect.slot);
      case 'spawn-agent':
        return this.spawnAgent(effect.wid);
      case 'stop-agent':
        return void signalGroup(this.children.get(effect.wid)?.pid, effect.signal);
      case 'stop-worker': {
        const child = this.children.get(effect.wid);
        if (!child) return;
        if (child.connected) this.sendTo(child, { kind: 'shutdown', timeoutMs: this.state.spec.killTimeoutMs });
        signalGroup(child.pid, effect.signal);
        return;
      }
      case 'join':
        return this.broker.registry.promote(effect.wid, this.weightOf(effect.wid));
      case 'leave':
        return this.broker.registry.removeWorker(effect.wid);
      case 'app-ready': {
        const child = this.children.get(effect.wid);
        if (child?.connected) this.sendTo(child, { kind: 'app-ready' });
        return;
      }
      case 'kill': {
        const child = this.children.get(effect.wid);
        if (child && !signalGroup(child.pid, 'SIGKILL')) child.kill('SIGKILL');
        return;
      }
      case 'arm': {
        clearTimeout(this.timers.get(effect.key));
        const timer = setTimeout(() => {
          this.timers.delete(effect.key);
          const restart = this.deferredRestarts.release(effect.key); // hook (issue 15)
          if (restart) this.announce(restart, true);
          this.enqueue({ type: 'timer', key: effect.key });
        }, effect.ms);
        this.timers.set(effect.key, timer);
        return;
      }
      case 'cancel':
        clearTimeout(this.timers.get(effect.key));
        this.timers.delete(effect.key);
        this.deferredRestarts.drop(effect.key); // hook (issue 15)
        return;
      case 'heartbeat':
        return this.setHeartbeat(effect.intervalMs);
      case 'triggers':
        return void this.setTriggers(effect.triggers).catch((err: Error) => this.log?.error({ err: err.message }, `could not start the reload triggers: ${err.message}`));
      case 'strategy':
        return this.broker.useStrategy(effect.name);
      case 'emit':
        if (effect.event.event === 'ready') this.weighCpu(effect.event.pid);
        return this.announce(effect.event);
      case 'halt':
        return void this.halt(effect.outcome);
      default:
        return assertNever(effect, 'effect');
    }
  }

  private announce(e: LifecycleEvent, due = false): void {
    // hook (issue 15): a delayed restart is announced when it happens (deferred-restarts.ts).
    if (!due && this.deferredRestarts.hold(e)) return;
    this.log?.[levelOf(e)]({ ...e }, describe(e));
    this.emit(e.event, e);
  }

  private async halt(outcome: Outcome): Promise<void> {
    this.deferredRestarts.drop();
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    clearInterval(this.heartbeat);
    this.triggerGeneration++;
    await this.stopTriggers();
    await this.broker.closeAll();
    // The tree first: until the guard's pipe closes, it still covers the cgroup should this process die now.
    await this.sweepTree(); // hook (issue 15)
    this.guard.close();
    this.hub.close();
    await this.stateStore.close().catch((err: Error) => this.log?.error({ event: 'state-close-failed', err: err.message }, `closing the state store failed: ${err.message}`));
    this.outcomeValue = outcome;
    this.emit('halt', outcome);
    this.settle(outcome);
  }

  /** What escaped the worker process groups (setsid) but is in the app's cgroup or kept its mark: killed at halt. */
  private async sweepTree(): Promise<void> {
    const using = this.tree.using;
    const { killed, cgroup } = await this.tree.sweep();
    if (killed.length > 0) {
      this.log?.warn({ event: 'orphans-killed', pids: killed, using }, `killed ${killed.length} process(es) the app left behind outside its process groups: ${killed.join(', ')}`);
    }
    if (cgroup && !cgroup.removed) this.log?.warn({ event: 'cgroup-left', dir: cgroup.dir }, `the app's cgroup ${cgroup.dir} could not be removed (still busy); a start of this app after this process has exited sweeps it`);
  }

  // ── processes ───────────────────────────────────────────────────────────

  private spawn(wid: number, slot: number): void {
    let child: ChildProcess;
    try {
      const env = { ...this.hub.env(wid, slot), ...this.tree.env, [IPC_MAX_MESSAGE_ENV]: String(this.ipcMax) };
      if (tracing) trace(`master: spawn w${wid}`);
      child = startWorker(this.state.spec, { wid, slot, env }, { pipes: this.output !== undefined });
      if (tracing) trace(`master: spawned w${wid}`);
    } catch (err) {
      queueMicrotask(() => this.enqueue({ type: 'spawn-failed', wid, message: (err as Error).message }));
      return;
    }
    this.placeInTree(wid, child.pid);
    // Not weighed yet: a starting worker boots at the default weight (weighCpu).
    // Hand-offs it never read are rescued once it has exited and its channel is
    // read to the end (every report and conn-back in): balancer/in-flight.ts.
    // The rescue reads /proc/net/tcp and re-hands each connection (tens of ms
    // on a loaded host), so on exit it waits for the replacement's fork.
    let gone = this.state.spec.mode === 'node' ? 2 : 1;
    const rescue = () => {
      if (--gone > 0) return;
      const n = this.broker.registry.rescue(wid);
      if (n > 0) this.log?.info({ event: 'rescued', wid, connections: n }, `${n} connections handed to worker ${wid} that it never read went to other workers`);
    };
    if (this.state.spec.mode === 'node') child.once('disconnect', rescue);
    this.adopt(wid, slot, child, {
      failed: (message) => ({ type: 'spawn-failed', wid, message }),
      exited: (code, signal) => ({ type: 'exited', wid, code, signal }),
      gone: () => {
        rescue();
        // Cleanup of a process that is gone (not a decision): its counts and listen keys go too.
        this.broker.registry.forget(wid);
        this.broker.released(wid);
      },
    });
    if (this.state.spec.mode === 'node') {
      // PM2's readiness signal: process.send('ready') from the app.
      child.on('message', (m: unknown) => {
        if (m === 'ready') this.enqueue({ type: 'ready', wid });
      });
      child.on('disconnect', () => {
        // Fast path: a closed channel cannot take a connection, so it is out of the
        // balancer before the core (which stops it) hears of the disconnect.
        this.broker.registry.removeWorker(wid);
        this.enqueue({ type: 'disconnect', wid });
      });
      guardAcks(child);
      boundChannel(child, this.ipcMax, (length) => {
        this.log?.error({ event: 'ipc-too-large', wid, pid: child.pid, length, limit: this.ipcMax }, `worker ${wid} (pid ${child.pid}) sent an IPC message longer than ${this.ipcMax} characters: channel cut, the worker is replaced`);
        child.disconnect();
      });
      child.on('internalMessage', (raw: unknown, handle: unknown) =>
        onWorkerMessage(raw, handle, { wid, child, hub: this.hub, broker: this.broker, enqueue: (event) => this.enqueue(event), stats: (s) => this.emit('stats', s) }),
      );
    }
    this.enqueue({ type: 'spawned', wid, pid: child.pid, random: Math.random() });
  }

  private placeFailed = false;

  /** Into the app's cgroup at once, before the app's code can fork (tree-sweep.ts). */
  private placeInTree(wid: number, pid: number | undefined): void {
    if (this.tree.place(pid) || this.placeFailed) return;
    this.placeFailed = true;
    this.log?.warn({ event: 'tree-tracking', wid, pid, cgroup: this.tree.cgroupDir }, `could not move pid ${pid} into the app's cgroup ${this.tree.cgroupDir}: what it starts is found by the environment mark only`);
  }

  /** The autogroup nice the live workers have (autogroup.ts), once one was written. */
  private cpuNice: number | undefined;

  /**
   * A worker's session weighs 1/desired of one from the moment it is ready;
   * after a scale, the other ready workers are re-weighed too. Until it is
   * ready a worker keeps the default weight of a session: a replacement after
   * a crash boots while the surviving workers serve, and at 1/desired of a
   * session it gets half the CPU a plain process would against every other
   * busy session on the host (the load generator, other apps). Measured in
   * interleaved crash rounds on a host at load average 17 (issue 17):
   * replacement listening after a median 1,544 ms weighed at once, 885 ms
   * weighed once ready (Node cluster RR 1,459 ms). The boot is short and
   * bounded by readyTimeoutMs; the steady state is what the weighting is for.
   */
  private weighCpu(pid: number | undefined): void {
    if (this.cpuNice === undefined && pid === undefined) return;
    const nice = shareNice(Math.max(1, this.state.desired));
    const pids = nice === this.cpuNice ? [pid] : [pid, ...this.state.workers.filter((w) => w.everReady && w.phase !== 'stopping').map((w) => w.pid)];
    if (weighAutogroups(pids, nice)) this.cpuNice = nice;
  }

  private spawnAgent(wid: number): void {
    const spec = this.state.spec;
    const exited = (code: number | null, signal: string | null, error?: string): Event => ({ type: 'agent-exited', wid, code, signal, error });
    let child: ChildProcess;
    try {
      child = startAgent(spec, spec.agent!, { ...this.hub.env(wid, 0, 'agent'), ...this.tree.env, [IPC_MAX_MESSAGE_ENV]: String(this.ipcMax) }, { pipes: this.output !== undefined });
    } catch (err) {
      queueMicrotask(() => this.enqueue(exited(null, null, (err as Error).message)));
      return;
    }
    this.placeInTree(wid, child.pid);
    this.adopt(wid, 'agent', child, { failed: (message) => exited(null, null, message), exited: (code, signal) => exited(code, signal) });
    if (spec.agent!.mode === 'node') listenToAgent(child, wid, this.hub.ipc, this.ipcMax, {
      ready: () => this.enqueue({ type: 'agent-ready', wid }),
      tooLarge: (length) => {
        this.log?.error({ event: 'ipc-too-large', wid, pid: child.pid, agent: true, length, limit: this.ipcMax }, `the agent (pid ${child.pid}) sent an IPC message longer than ${this.ipcMax} characters: channel cut, the agent is replaced`);
        this.enqueue({ type: 'exiting', wid, error: `replaced for an IPC message longer than ${this.ipcMax} characters`, abuse: true });
      },
      // drover/worker loaded late in the agent (after app-ready was sent and dropped): it asks again.
      hello: () => this.state.appReady && this.state.agent.proc?.wid === wid && this.perform({ type: 'app-ready', wid }),
    });
    this.enqueue({ type: 'agent-spawned', wid, pid: child.pid });
  }

  /**
   * What every child gets: its output piped under its label, its process group
   * known to the guard, and on exit the rest of its tree ended, its message hub
   * token revoked and `gone` run: after the forks of the step that hears of
   * the exit (a crashed worker's replacement), before that step's other
   * effects (issue 17: nothing that can wait between an exit and the fork).
   */
  private adopt(
    wid: number,
    label: number | 'agent',
    child: ChildProcess,
    events: { readonly failed: (message: string) => Event; readonly exited: (code: number | null, signal: NodeJS.Signals | null) => Event; readonly gone?: () => void },
  ): void {
    const output = this.output;
    if (output) {
      for (const [stream, pipe] of [['out', child.stdout], ['err', child.stderr]] as const) {
        pipe?.on('data', (chunk: Buffer) => output({ wid, slot: label }, stream, chunk));
        pipe?.on('end', () => output({ wid, slot: label }, stream, null));
        pipe?.on('error', () => {});
      }
    }
    this.children.set(wid, child);
    this.guard.add(child.pid);
    child.on('error', (err) => {
      if (child.pid === undefined) this.enqueue(events.failed(err.message));
      else this.log?.debug({ wid, err: err.message }, 'child channel error');
    });
    child.on('exit', (code, signal) => {
      this.children.delete(wid);
      this.enqueue(events.exited(code, signal), () => {
        signalGroup(child.pid, 'SIGKILL');
        this.guard.remove(child.pid);
        // Requests waiting on this process are rejected now, not at their timeout.
        this.hub.workerGone(wid);
        events.gone?.();
      });
    });
  }

  private weightOf(wid: number): number {
    const w = this.state.workers.find((x) => x.wid === wid);
    return w ? (this.state.spec.weights[w.slot] ?? 1) : 1;
  }

  private sendTo(child: ChildProcess, message: MasterToWorker, handle?: unknown): void {
    const done = (err: Error | null) => {
      if (err) this.log?.debug({ pid: child.pid, err: err.message }, 'send to worker failed');
    };
    try {
      if (handle) sendHandle(child, envelope(message), handle, done);
      else child.send(envelope(message), done);
    } catch {
      // The channel closed between the check and the send: the exit event follows.
    }
  }
}

export { formatAddress } from './listen-broker.js';
