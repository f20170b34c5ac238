// The impure shell around the pure core: one event queue, timers, processes,
// sockets. Handlers (child events, IPC, timers, commands) only enqueue; the
// queue is drained through step() and the effects are carried out here.
import { EventEmitter } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { ListenerRegistry } from '../balancer/registry.js';
import { SharedHandles } from '../balancer/shared-handle.js';
import { createStrategy } from '../balancer/strategies/index.js';
import { initialState, step } from '../core/step.js';
import type { AppSpec, Effect, Event, LifecycleEvent, Outcome, State, TimerKey } from '../core/types.js';
import { DroverError } from '../errors.js';
import net from 'node:net';
import { guardAcks, sendHandle } from '../protocol/handoff.js';
import { envelope, listenKey, parseWorkerMessage, type BoundAddress, type MasterToWorker, type WorkerToMaster } from '../protocol/messages.js';
import { resolveSpec } from '../config/resolve.js';
import type { SuperviseOptions } from '../config/schema.js';
import { createLogger, type Logger } from './logger.js';
import { shareNice, weighAutogroups } from './autogroup.js';
import { startAgent, startWorker } from './process-host.js';
import { signalGroup } from './terminate.js';
import { GroupGuard } from './group-guard.js';
import { MessageHub, type AbuseEvent, type HubOptions } from '../messaging/hub.js';
import type { Messenger } from '../messaging/endpoint.js';

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
  /** The options the spec came from: reload() re-resolves them (env, script, args) when given none. */
  readonly source?: SuperviseOptions;
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

const LEVEL: Partial<Record<LifecycleEvent['event'], 'warn' | 'error'>> = {
  crash: 'error',
  giveup: 'error',
  'start-failed': 'error',
  hung: 'warn',
  'reload-failed': 'error',
  'reload-refused': 'warn',
  'agent-gave-up': 'error',
  'agent-crash': 'error',
};

export class Supervisor extends EventEmitter {
  private state: State;
  private readonly queue: Event[] = [];
  private draining = false;
  private readonly timers = new Map<TimerKey, NodeJS.Timeout>();
  private readonly children = new Map<number, ChildProcess>();
  private readonly registry: ListenerRegistry;
  /** Kernel balancing only: the listening handles shared with workers. */
  private readonly shared: SharedHandles | undefined;
  /** Open connections per worker as the worker itself reports them (kernel modes). */
  private readonly reportedConnections = new Map<number, number>();
  private readonly log: Logger | undefined;
  private settle!: (outcome: Outcome) => void;
  private outcomeValue: Outcome | undefined;
  private readonly source: SuperviseOptions | undefined;
  private readonly output: RuntimeOptions['output'];
  private heartbeat: NodeJS.Timeout | undefined;
  private pingSeq = 0;
  private readonly stoppers: Array<() => unknown> = [];
  /** Ends the workers' process groups if this process dies without doing it (SIGKILL). */
  private readonly guard = new GroupGuard();

  /** The message hub: a unix socket the workers connect to on their first messaging call. */
  private readonly hub: MessageHub;
  /** send/request/handle/on/publish for the master, as drover/worker offers them to workers. */
  readonly messages: Messenger;

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
    this.source = options.source;
    this.output = options.output;
    this.log = options.logger === false ? undefined : (options.logger ?? createLogger(spec.logLevel, { app: spec.name }));
    this.hub = new MessageHub({ ...options.messaging, log: this.log });
    this.messages = this.hub.api;
    // Repeated abuse of the message channels: a worker is replaced like one that announced its crash (replacement
    // first, then a graceful stop); the agent is stopped, and restarted once it has exited.
    this.hub.on('abuse', (e: AbuseEvent) => this.enqueue({ type: 'exiting', wid: e.wid, error: `replaced for abusing the message channels: ${e.reason}` }));
    this.registry = new ListenerRegistry(() => createStrategy(spec.balance), {
      onDrop: (key, reason) => this.log?.warn({ event: 'drop', key, reason }, `connection dropped on ${key}: ${reason}`),
      onShed: (wid, key, n) => {
        const child = this.children.get(wid);
        if (child?.connected) this.sendTo(child, { kind: 'shed', key, n });
        this.log?.debug({ event: 'rebalance', wid, key, n }, `asking worker ${wid} to close ${n} keep-alive connections`);
      },
    });
    this.shared = spec.balance === 'kernel' ? new SharedHandles() : undefined;
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
    this.once('started', () => void this.startTriggers());
  }

  start(): this {
    this.enqueue({ type: 'start' });
    return this;
  }

  stop(options: { force?: boolean } = {}): Promise<Outcome> {
    this.enqueue({ type: 'stop', force: options.force });
    return this.done;
  }

  /**
   * Rolling reload: each worker is replaced by one started with the current
   * config (new options, or the original ones re-resolved), which must become
   * ready before the old one leaves the balancer and drains. Rejects, keeping
   * the old workers serving, when a replacement fails; refuses a second reload
   * while one runs.
   */
  reload(options?: SuperviseOptions): Promise<ReloadInfo> {
    let spec: AppSpec;
    try {
      spec = options ? resolveSpec(options) : this.source ? resolveSpec(this.source, 'options') : this.state.spec;
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
      const onRefused = (e: { message: string }) => {
        if (id !== undefined) return;
        cleanup();
        reject(new DroverError('DROVER_E_RELOAD_REFUSED', e.message));
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
      this.enqueue({ type: 'reload', spec });
    });
  }

  /** reload() for triggers (SIGHUP, watch, cron): the outcome is in the log. */
  requestReload(trigger: string): void {
    this.log?.info({ event: 'reload-requested', trigger }, `reload requested by ${trigger}`);
    this.emit('reload-requested', { trigger });
    this.reload().catch(() => {});
  }

  private async startTriggers(): Promise<void> {
    const spec = this.state.spec;
    if (spec.mode === 'node' && spec.heartbeatIntervalMs > 0) {
      this.heartbeat = setInterval(() => this.ping(), spec.heartbeatIntervalMs);
    }
    if (spec.watch === false && !spec.cronRestart) return;
    // Loaded only when used: the file watcher and cron parser cost the master ~10 MB.
    const { cronSchedule, watchFiles } = await import('./triggers.js');
    if (this.outcomeValue) return;
    if (spec.watch !== false) {
      const stop = watchFiles(
        spec.cwd,
        spec.watch,
        spec.watchDebounceMs,
        (files) => this.requestReload(`change of ${files.join(', ')}`),
        () => this.emit('watching', { cwd: spec.cwd }),
      );
      this.stoppers.push(stop);
    }
    if (spec.cronRestart) this.stoppers.push(cronSchedule(spec.cronRestart, () => this.requestReload(`cron ${spec.cronRestart}`)));
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

  workers(): WorkerInfo[] {
    const now = performance.now();
    return this.state.workers.map((w) => ({
      wid: w.wid,
      slot: w.slot,
      pid: w.pid,
      phase: w.phase,
      uptimeMs: Math.round(now - w.startedAt),
      connectionsHanded: this.registry.handedTo(w.wid),
      connections: this.shared || this.state.spec.balance === 'reuseport' ? (this.reportedConnections.get(w.wid) ?? 0) : this.registry.openConnections(w.wid),
      role: w.role,
    }));
  }

  /** The agent process that runs now, if any. */
  agent(): AgentInfo | undefined {
    const p = this.state.agent.proc;
    return p && { wid: p.wid, pid: p.pid, uptimeMs: Math.round(performance.now() - p.startedAt), stopping: p.stopping };
  }

  addresses(): BoundAddress[] {
    return [...this.registry.addresses(), ...(this.shared?.addresses() ?? []), ...this.selfBound.values()];
  }

  /** reuseport: addresses workers bound themselves, by key. */
  private readonly selfBound = new Map<string, BoundAddress>();
  /**
   * reuseport: the port of each key once its first worker bound it. listen(0)
   * must give every worker the same port, so later workers wait for the first.
   */
  private readonly reusePorts = new Map<string, { port: Promise<number>; resolve: (port: number) => void }>();

  // ── the loop ────────────────────────────────────────────────────────────

  private enqueue(event: Event): void {
    this.queue.push(event);
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.queue.length > 0) {
        const next = this.queue.shift()!;
        const { state, effects } = step(this.state, next, performance.now());
        this.state = state;
        for (const effect of effects) this.perform(effect);
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
        this.registry.removeWorker(effect.wid);
        const child = this.children.get(effect.wid);
        if (!child) return;
        if (child.connected) this.sendTo(child, { kind: 'shutdown', timeoutMs: this.state.spec.killTimeoutMs });
        signalGroup(child.pid, effect.signal);
        return;
      }
      case 'promote':
        return this.registry.promote(effect.wid, this.weightOf(effect.wid));
      case 'kill': {
        this.registry.removeWorker(effect.wid);
        const child = this.children.get(effect.wid);
        if (child && !signalGroup(child.pid, 'SIGKILL')) child.kill('SIGKILL');
        return;
      }
      case 'arm': {
        clearTimeout(this.timers.get(effect.key));
        const timer = setTimeout(() => {
          this.timers.delete(effect.key);
          this.enqueue({ type: 'timer', key: effect.key });
        }, effect.ms);
        this.timers.set(effect.key, timer);
        return;
      }
      case 'cancel':
        clearTimeout(this.timers.get(effect.key));
        this.timers.delete(effect.key);
        return;
      case 'emit':
        return this.announce(effect.event);
      case 'halt':
        return void this.halt(effect.outcome);
    }
  }

  private announce(e: LifecycleEvent): void {
    if (this.log) {
      const level = (e.event === 'exit' || e.event === 'agent-exit') && e.reason === 'crashed' ? 'warn' : (LEVEL[e.event] ?? 'info');
      this.log[level]({ ...e }, describe(e));
    }
    this.emit(e.event, e);
  }

  private async halt(outcome: Outcome): Promise<void> {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    clearInterval(this.heartbeat);
    await Promise.all(this.stoppers.splice(0).map((stop) => stop()));
    await this.registry.closeAll();
    this.shared?.closeAll();
    this.guard.close();
    this.hub.close();
    this.outcomeValue = outcome;
    this.emit('halt', outcome);
    this.settle(outcome);
  }

  // ── processes ───────────────────────────────────────────────────────────

  private spawn(wid: number, slot: number): void {
    let child: ChildProcess;
    try {
      child = startWorker(this.state.spec, { wid, slot, env: this.hub.env(wid, slot) }, { pipes: this.output !== undefined });
    } catch (err) {
      queueMicrotask(() => this.enqueue({ type: 'spawn-failed', wid, message: (err as Error).message }));
      return;
    }
    this.weighCpu(child.pid);
    this.adopt(wid, slot, child, {
      failed: (message) => ({ type: 'spawn-failed', wid, message }),
      exited: (code, signal) => {
        // Out of the balancer before anything else, then end what is left of its tree.
        this.registry.forget(wid);
        return { type: 'exited', wid, code, signal };
      },
    });
    if (this.state.spec.mode === 'node') {
      // PM2's readiness signal: process.send('ready') from the app.
      child.on('message', (m: unknown) => {
        if (m === 'ready') this.enqueue({ type: 'ready', wid });
      });
      child.on('disconnect', () => {
        this.registry.removeWorker(wid);
        this.enqueue({ type: 'disconnect', wid });
      });
      guardAcks(child);
      child.on('internalMessage', (raw: unknown, handle: unknown) => this.onWorkerMessage(wid, child, raw, handle));
    }
    this.enqueue({ type: 'spawned', wid, pid: child.pid, random: Math.random() });
  }

  /** The autogroup nice the live workers have (autogroup.ts), once one was written. */
  private cpuNice: number | undefined;

  /** A new worker's session weighs 1/desired of one; after a scale, the others are re-weighed too. */
  private weighCpu(pid: number | undefined): void {
    if (this.cpuNice === undefined && pid === undefined) return;
    const nice = shareNice(Math.max(1, this.state.desired));
    const pids = nice === this.cpuNice ? [pid] : [pid, ...this.state.workers.map((w) => w.pid)];
    if (weighAutogroups(pids, nice)) this.cpuNice = nice;
  }

  private spawnAgent(wid: number): void {
    const spec = this.state.spec;
    const exited = (code: number | null, signal: string | null, error?: string): Event => ({ type: 'agent-exited', wid, code, signal, error });
    let child: ChildProcess;
    try {
      child = startAgent(spec, spec.agent!, this.hub.env(wid, 0, 'agent'), { pipes: this.output !== undefined });
    } catch (err) {
      queueMicrotask(() => this.enqueue(exited(null, null, (err as Error).message)));
      return;
    }
    this.adopt(wid, 'agent', child, { failed: (message) => exited(null, null, message), exited: (code, signal) => exited(code, signal) });
    this.enqueue({ type: 'agent-spawned', wid, pid: child.pid });
  }

  /**
   * What every child gets: its output piped under its label, its process group
   * known to the guard, and on exit the rest of its tree ended and its message
   * hub token revoked before the core hears of it.
   */
  private adopt(
    wid: number,
    label: number | 'agent',
    child: ChildProcess,
    events: { readonly failed: (message: string) => Event; readonly exited: (code: number | null, signal: NodeJS.Signals | null) => Event },
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
      const event = events.exited(code, signal);
      signalGroup(child.pid, 'SIGKILL');
      this.guard.remove(child.pid);
      this.children.delete(wid);
      // Requests waiting on this process are rejected now, not at their timeout.
      this.hub.workerGone(wid);
      this.enqueue(event);
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

  private isAccepting(wid: number): boolean {
    const w = this.state.workers.find((x) => x.wid === wid);
    return w !== undefined && w.phase !== 'stopping' && !w.replaced && w.role === 'active';
  }

  private onWorkerMessage(wid: number, child: ChildProcess, raw: unknown, handle: unknown): void {
    if (typeof raw !== 'object' || raw === null || (raw as { cmd?: unknown }).cmd !== 'NODE_DROVER') return;
    const parsed = parseWorkerMessage(raw);
    // App code can send these too (process.send({cmd: 'NODE_DROVER', …})): the guard logs, rate-limits and counts strikes.
    if (!parsed.ok || !this.hub.ipc.admit(wid, child.pid, parsed.message.kind)) {
      if (!parsed.ok) this.hub.ipc.malformed(wid, child.pid, parsed.error);
      (handle as { close?: () => void } | undefined)?.close?.();
      return;
    }
    const m: WorkerToMaster = parsed.message;
    switch (m.kind) {
      case 'online':
        return this.enqueue({ type: 'online', wid });
      case 'pong':
        this.registry.setLoad(wid, m.elu);
        this.reportedConnections.set(wid, m.connections);
        // For metrics (src/metrics/drover-metrics.ts): the heartbeat's figures, as the worker sent them.
        this.emit('stats', { wid, rss: m.rss, lagMs: m.lagMs, heapUsed: m.heapUsed, cpuUs: m.cpuUs });
        return this.enqueue({ type: 'stats', wid, stats: { rss: m.rss, elu: m.elu, lagMs: m.lagMs, requests: m.requests } });
      case 'ready':
        return this.enqueue({ type: 'ready', wid });
      case 'exiting':
        this.registry.removeWorker(wid);
        return this.enqueue({ type: 'exiting', wid, error: m.error });
      case 'unlisten':
        return this.registry.leave(m.key, wid);
      case 'conns':
        return this.registry.report(m.key, wid, m.got, m.closed);
      case 'bound': {
        const address = formatAddress(m.address);
        this.selfBound.set(m.key, m.address);
        if (m.address.type === 'tcp') this.reusePorts.get(m.key)?.resolve(m.address.port);
        return this.enqueue({ type: 'listening', wid, address });
      }
      case 'conn-back':
        if (!handle || !this.registry.redistribute(m.key, handle as never, wid)) (handle as { close?: () => void } | undefined)?.close?.();
        return;
      case 'listen':
        return this.onListen(wid, child, m);
    }
  }

  private onListen(wid: number, child: ChildProcess, m: Extract<WorkerToMaster, { kind: 'listen' }>): void {
    if (this.state.spec.balance === 'reuseport' && m.address.type === 'tcp') {
      const key = listenKey(m.address);
      const host = m.address.host ?? '::';
      const reply = (port: number) =>
        this.sendTo(child, { kind: 'listen-ok', ack: m.seq, key, mode: 'own', address: { type: 'tcp', address: host, family: net.isIPv4(host) ? 'IPv4' : 'IPv6', port } });
      const known = this.reusePorts.get(key);
      if (known) return void known.port.then(reply);
      let resolve: (port: number) => void = () => {};
      const port = m.address.port !== 0 ? Promise.resolve(m.address.port) : new Promise<number>((r) => (resolve = r));
      this.reusePorts.set(key, { port, resolve });
      return reply(m.address.port);
    }
    if (this.shared) {
      let bound;
      try {
        bound = this.shared.bind(m.address);
      } catch (err) {
        return this.onListenError(wid, child, m, err as NodeJS.ErrnoException);
      }
      this.sendTo(child, { kind: 'listen-ok', ack: m.seq, key: bound.key, address: bound.address, mode: 'handle' }, bound.handle);
      return this.enqueue({ type: 'listening', wid, address: formatAddress(bound.address) });
    }
    this.registry.bind(m.address).then(
      ({ key, address }) => {
        if (!child.connected) return;
        this.sendTo(child, { kind: 'listen-ok', ack: m.seq, key, address, mode: 'faux' });
        // A spare listens too, but joins the balancer only when promoted.
        this.registry.remember(key, wid, child);
        if (this.isAccepting(wid)) this.registry.join(key, wid, child, this.weightOf(wid));
        this.enqueue({ type: 'listening', wid, address: formatAddress(address) });
      },
      (err: NodeJS.ErrnoException) => this.onListenError(wid, child, m, err),
    );
  }

  private onListenError(wid: number, child: ChildProcess, m: Extract<WorkerToMaster, { kind: 'listen' }>, err: NodeJS.ErrnoException): void {
    const inUse = err.code === 'EADDRINUSE';
    const where = m.address.type === 'pipe' ? m.address.path : `${m.address.host ?? '*'}:${m.address.port}`;
    const message = inUse
      ? `${where} is already in use by another process: stop it, or give the app another port (e.g. PORT=...)`
      : `could not listen on ${where}: ${err.message}`;
    this.sendTo(child, { kind: 'listen-error', ack: m.seq, code: err.code ?? 'EINVAL', message: err.message, syscall: 'listen' });
    this.enqueue({ type: 'listen-failed', wid, code: inUse ? 'DROVER_E_PORT_IN_USE' : 'DROVER_E_LISTEN_FAILED', message });
  }
}

export function formatAddress(a: BoundAddress): string {
  if (a.type === 'pipe') return a.path;
  return a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}

function describe(e: LifecycleEvent): string {
  switch (e.event) {
    case 'exit':
      return `worker ${e.slot} (pid ${e.pid}) exited: ${e.reason}${e.signal ? ` by ${e.signal}` : ` with code ${e.code}`}`;
    case 'restart':
      return `restarting worker ${e.slot} in ${e.delayMs} ms (${e.restartsInWindow} restarts in window)`;
    case 'giveup':
      return `giving up: ${e.restarts} restarts within ${e.windowMs} ms`;
    case 'started':
      return `${e.workers} workers ready in ${Math.round(e.durationMs)} ms`;
    case 'start-failed':
      return e.message;
    case 'crash':
      return `worker ${e.slot} (pid ${e.pid}) crashed: ${e.error.split('\n')[0]}`;
    case 'scale':
      return `scaling from ${e.from} to ${e.to} workers`;
    case 'stopping':
      return e.force ? 'stopping now (forced)' : 'stopping: draining workers';
    case 'stopped':
      return `stopped (exit code ${e.exitCode})`;
    case 'listening':
      return `worker ${e.slot} (pid ${e.pid}) listening on ${e.address}`;
    case 'hung':
      return `worker ${e.slot} (pid ${e.pid}) is hung: no heartbeat for ${e.silentMs} ms, replacing it`;
    case 'recycle':
      return `worker ${e.slot} (pid ${e.pid}) reached its ${e.reason === 'memory' ? `memory limit (rss ${e.value} bytes)` : `request limit (${e.value})`}: replacing it gracefully`;
    case 'reload-start':
      return `reload ${e.id}: replacing ${e.workers} workers`;
    case 'reloaded':
      return `reload ${e.id} done: ${e.workers} workers in ${Math.round(e.durationMs)} ms`;
    case 'reload-failed':
      return `reload ${e.id} failed, the previous workers keep serving: ${e.message}`;
    case 'reload-refused':
      return `reload refused: ${e.message}`;
    case 'agent-spawn':
      return `agent (pid ${e.pid}) started`;
    case 'agent-crash':
      return `agent (pid ${e.pid}) crashed: ${e.error.split('\n')[0]}`;
    case 'agent-exit':
      return `agent (pid ${e.pid}) exited: ${e.reason}${e.error ? ` (${e.error})` : e.signal ? ` by ${e.signal}` : ` with code ${e.code}`}`;
    case 'agent-restart':
      return `restarting the agent in ${e.delayMs} ms (${e.restartsInWindow} restarts in window)`;
    case 'agent-gave-up':
      return `giving up on the agent: ${e.restarts} restarts within ${e.windowMs} ms; the workers keep running`;
    default:
      return `worker ${e.slot} (pid ${e.pid}) ${e.event}`;
  }
}
