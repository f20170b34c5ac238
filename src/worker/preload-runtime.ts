// The worker runtime: preloaded into every Node worker (src/worker/preload.ts),
// so unmodified apps get port sharing, crash handling, draining and no orphans.
// One instance per process, kept on globalThis so that the public API
// (drover/worker) finds it even when the app loads another copy of drover.
import { markAppReady } from './app-ready.js';
import http from 'node:http';
import net from 'node:net';
import type { EventLoopUtilization } from 'node:perf_hooks';
import { lazyBuiltin } from './lazy-builtin.js';
import { LoopLag } from './loop-lag.js';
import type { BoundAddress, ListenAddress, MasterToWorker } from '../protocol/messages.js';
import { suppressHandleAcks } from '../protocol/handoff.js';
import { Channel } from './channel.js';
import { CloseBarrier } from './close-barrier.js';
import { ConnCounts } from './conn-counts.js';
import { reportGapMs } from '../balancer/report-gap.js';
import { ServerTracker } from './drain.js';
import { parseListenArgs, type ListenRequest } from './listen-args.js';
import { ListenSlots, resolveHost } from './listen-slots.js';
import { limitSends } from './send-limit.js';
import { ipcMaxMessage } from '../protocol/ipc-limit.js';
import { ignoreUnknown } from '../core/assert-never.js';
import { UdpBinder } from './udp-bind.js';
import { hubConnecting } from '../messaging/hub-client-key.js';

const RUNTIME_KEY = Symbol.for('drover.worker.runtime');

/** net internals this module relies on; Node's own cluster child uses the same ones. */
interface ServerInternals {
  _handle: unknown;
  _pipeName?: string;
  _listen2(address: string | null, port: number, addressType: number, backlog?: number, fd?: number): void;
}

/** net's own listen on the handle just put in `_handle` (it sees the handle is there and does not bind). */
function listenOnHandle(internals: ServerInternals, address: BoundAddress, backlog: number | undefined): void {
  if (address.type === 'pipe') {
    internals._pipeName = address.path;
    internals._listen2(null, -1, -1, backlog);
  } else {
    internals._listen2(address.address, address.port, address.family === 'IPv6' ? 6 : 4, backlog);
  }
}

type ShutdownHook = () => unknown;

/**
 * Stands in for the listening socket the master owns, like the `rr()` handle of
 * Node's lib/internal/cluster/child.js: net calls listen/close/ref/unref on it
 * and we call its onconnection with each handle the master sends.
 */
class FauxHandle {
  onconnection: ((err: number, handle: unknown) => void) | undefined;
  closed = false;
  private refd = false;
  getsockname?: (out: Record<string, unknown>) => number;

  constructor(
    readonly key: string,
    readonly bound: BoundAddress,
    private readonly runtime: WorkerRuntime,
    readonly server: net.Server,
  ) {
    if (bound.type === 'tcp') {
      this.getsockname = (out) => {
        out.address = bound.address;
        out.family = bound.family;
        out.port = bound.port;
        return 0;
      };
    }
    this.ref();
  }

  listen(): number {
    return 0;
  }

  ref(): void {
    if (this.refd || this.closed) return;
    this.refd = true;
    this.runtime.channel.ref();
  }

  unref(): void {
    if (!this.refd) return;
    this.refd = false;
    this.runtime.channel.unref();
  }

  close(cb?: () => void): void {
    if (!this.closed) {
      this.closed = true;
      this.unref();
      this.runtime.release(this);
    }
    if (cb) process.nextTick(cb);
  }
}

export class WorkerRuntime {
  readonly channel: Channel;
  readonly workerId: number;
  private seq = 0;
  private readonly pendingListens = new Map<number, { server: net.Server; request: ListenRequest; release: () => void }>();
  private readonly slots = new ListenSlots();
  private readonly handles = new Map<string, Set<FauxHandle>>();
  private readonly trackers = new Map<net.Server, ServerTracker>();
  private readonly hooks: ShutdownHook[] = [];
  /** Connections received and closed per key, cumulative; reported at most once per gap (balancer/report-gap.ts). */
  private readonly counts = new ConnCounts((key, got, closed) => this.channel.send({ kind: 'conns', key, got, closed }), undefined, reportGapMs(process.env.DROVER_BALANCE));
  private readonly trackerByKey = new Map<string, ServerTracker>();
  private shutdownStarted = false;
  /** dgram bind() through the master (udp-bind.ts). */
  private readonly udp: UdpBinder;
  private readonly originalListen = net.Server.prototype.listen;
  readonly stopSignal: NodeJS.Signals;
  readonly killTimeoutMs: number;
  /** Hand-offs still in the pipe when a server closes (close-barrier.ts). */
  private readonly barrier: CloseBarrier;
  /**
   * Load figures for the heartbeat reply, set up at the first ping, not at
   * boot: the global performance's ELU is ~10 perf modules a replacement
   * would load before it can listen (issue 17). The first reply's ELU covers
   * the time since the process started (as before); its lag is 0, the
   * sampler having just started (loop-lag.ts).
   */
  private load: { lastElu: EventLoopUtilization; readonly lag: LoopLag } | undefined;

  constructor() {
    this.workerId = Number(process.env.DROVER_WORKER_ID ?? 0);
    this.stopSignal = (process.env.DROVER_STOP_SIGNAL as NodeJS.Signals | undefined) ?? 'SIGTERM';
    this.killTimeoutMs = Number(process.env.DROVER_KILL_TIMEOUT_MS) || 5000;
    this.barrier = new CloseBarrier(this.killTimeoutMs);
    this.channel = new Channel(
      (message, handle) => this.onMaster(message, handle),
      () => this.onMasterGone(),
    );
    this.udp = new UdpBinder(this.channel);
    // A hand-off whose fd was lost (MSG_CTRUNC) still returns its credit.
    suppressHandleAcks((key) => this.counts.add(key, 1, 1));
  }

  /** The heartbeat reply. It runs on the event loop, so a blocked loop cannot answer. */
  private pong(seq: number): void {
    let load = this.load;
    if (!load) load = this.load = { lastElu: { idle: 0, active: 0, utilization: 0 }, lag: new LoopLag() };
    const elu = performance.eventLoopUtilization(load.lastElu).utilization;
    load.lastElu = performance.eventLoopUtilization();
    const lagMs = load.lag.takeP99Ms();
    let requests = 0;
    let connections = 0;
    for (const t of this.trackers.values()) {
      requests += t.requests;
      connections += t.sockets.size;
    }
    const cpu = process.cpuUsage();
    const mem = process.memoryUsage();
    this.channel.send({ kind: 'pong', seq, rss: mem.rss, elu: Number.isFinite(elu) ? elu : 0, lagMs, requests, connections, heapUsed: mem.heapUsed, cpuUs: cpu.user + cpu.system });
  }

  static install(): WorkerRuntime {
    const g = globalThis as Record<symbol, unknown>;
    if (g[RUNTIME_KEY]) return g[RUNTIME_KEY] as WorkerRuntime;
    const runtime = new WorkerRuntime();
    g[RUNTIME_KEY] = runtime;
    limitSends(ipcMaxMessage());
    if (process.env.DROVER_EXEC_MODE !== 'fork') {
      runtime.patchListen();
      runtime.patchClose();
      runtime.udp.install();
    }
    runtime.installCrashHandler();
    if (runtime.stopSignal !== 'SIGKILL') process.on(runtime.stopSignal, runtime.onStopSignal);
    runtime.channel.send({ kind: 'online', pid: process.pid });
    return runtime;
  }

  static current(): WorkerRuntime | undefined {
    return (globalThis as Record<symbol, unknown>)[RUNTIME_KEY] as WorkerRuntime | undefined;
  }

  // ── listen ──────────────────────────────────────────────────────────────

  /**
   * An app that drains itself on SIGTERM calls server.close(), and on Node >=
   * 19 http's close() also drops idle keep-alive sockets, including ones whose
   * next request is already in the kernel buffer (lost requests on every
   * reload). For servers drover tracks, close() stops accepting and drains the
   * drover way (drain.ts); the app's callback runs once every connection is gone.
   */
  private patchClose(proto: object = http.Server.prototype): void {
    const runtime = this;
    type Close = (this: net.Server, cb?: (err?: Error) => void) => net.Server;
    const target = proto as { close: Close };
    const original = target.close;
    target.close = function patchedClose(this: net.Server, cb?: (err?: Error) => void) {
      const tracker = runtime.trackers.get(this);
      if (!tracker) return original.call(this, cb);
      if (cb) this.once('close', () => cb());
      void runtime.drainTracker(tracker, Date.now() + runtime.killTimeoutMs);
      return this;
    };
  }

  private httpsPatched = false;

  /**
   * https.Server's close() gets the same patch, but only once a TLS server is
   * tracked: importing node:https up front loads tls and crypto in every
   * worker (tens of ms of a replacement's start, issue 17), and an app with an
   * https server has loaded it by the time it listens, so the require is free
   * then. Only tracked servers take the patched path, and tracking starts at
   * listen(), before any close().
   */
  private patchHttpsFor(server: net.Server): void {
    if (this.httpsPatched || server instanceof http.Server || typeof (server as { addContext?: unknown }).addContext !== 'function') return;
    this.httpsPatched = true;
    const https = lazyBuiltin<typeof import('node:https')>('node:https');
    this.patchClose(https.Server.prototype);
  }

  private drainTracker(tracker: ServerTracker, deadline: number): Promise<void> {
    return tracker.drain(deadline, (cb) => closeServer(tracker.server, cb));
  }

  private patchListen(): void {
    const runtime = this;
    const original = this.originalListen;
    net.Server.prototype.listen = function patchedListen(this: net.Server, ...args: unknown[]) {
      const request = runtime.channel.connected && !this.listening ? parseListenArgs(args) : null;
      if (!request) return original.apply(this, args as never);
      if (request.callback) this.once('listening', request.callback);
      runtime.requestListen(this, request);
      return this;
    } as typeof net.Server.prototype.listen;
  }

  private requestListen(server: net.Server, request: ListenRequest): void {
    // Keeps the process alive until the master answers (then the faux handle does).
    this.channel.ref();
    // Claimed in call order, before the lookup: lookups may finish in any order.
    const { index, release } = this.slots.claim(request.address, server);
    resolveHost(request.address, (err, resolved) => {
      if (err) {
        this.channel.unref();
        release();
        return void server.emit('error', err);
      }
      const seq = ++this.seq;
      const address = { ...resolved, index };
      this.pendingListens.set(seq, { server, request: { ...request, address }, release });
      // With readyOn 'listen' this listen makes the worker ready. An app that used messaging before it (handle()
      // at its first line) must be reachable then, as after ready(): the request leaves once the hub has
      // welcomed that connection (bounded, as ready()'s wait). Otherwise the master's ready comes before the
      // worker's hello, and a call to it had only CONNECT_GRACE_MS to see the hello (test/integration/messaging-ready-reach).
      const send = () => this.channel.send({ kind: 'listen', seq, address });
      const connecting = hubConnecting();
      if (connecting) void connecting.then(send);
      else send();
    });
  }

  /** reuseport: bind our own socket on the port the master chose; it learns where we listen. */
  private listenOwn(server: net.Server, key: string, address: Extract<ListenAddress, { type: 'tcp' }>, backlog: number | undefined): void {
    this.track(server);
    server.once('listening', () => {
      const a = server.address();
      if (a && typeof a === 'object') this.channel.send({ kind: 'bound', key, address: { type: 'tcp', address: a.address, family: a.family, port: a.port } });
    });
    this.originalListen.call(server, { port: address.port, host: address.host ?? undefined, ipv6Only: address.ipv6Only, backlog, reusePort: true } as net.ListenOptions);
  }

  private track(server: net.Server, key?: string): ServerTracker {
    let tracker = this.trackers.get(server);
    if (!tracker) {
      this.patchHttpsFor(server);
      tracker = new ServerTracker(server);
      this.trackers.set(server, tracker);
      if (key !== undefined) {
        tracker.onClose = () => this.counts.add(key, 0, 1);
        this.trackerByKey.set(key, tracker);
      }
    }
    return tracker;
  }



  private onListenOk(m: Extract<MasterToWorker, { kind: 'listen-ok' }>, shared: unknown): void {
    const pending = this.pendingListens.get(m.ack);
    if (!pending) return;
    this.pendingListens.delete(m.ack);
    this.channel.unref();
    const { server, request } = pending;
    const internals = server as unknown as ServerInternals;
    if (m.mode === 'own' && request.address.type === 'tcp' && m.address.type === 'tcp') {
      return this.listenOwn(server, m.key, { ...request.address, port: m.address.port }, request.backlog);
    }
    if (m.mode === 'handle') {
      // Kernel balancing: a real listening handle, shared with the other workers.
      this.track(server);
      internals._handle = shared;
      return listenOnHandle(internals, m.address, request.backlog);
    }
    const handle = new FauxHandle(m.key, m.address, this, server);
    let set = this.handles.get(m.key);
    if (!set) this.handles.set(m.key, (set = new Set()));
    set.add(handle);
    this.track(server, m.key);
    internals._handle = handle;
    listenOnHandle(internals, m.address, request.backlog);
    if (this.shutdownStarted) this.trackers.get(server)!.draining = true;
  }

  private onListenError(m: Extract<MasterToWorker, { kind: 'listen-error' }>): void {
    const pending = this.pendingListens.get(m.ack);
    if (!pending) return;
    this.pendingListens.delete(m.ack);
    this.channel.unref();
    pending.release();
    const a = pending.request.address;
    const where = a.type === 'pipe' ? a.path : `${a.host ?? '::'}:${a.port}`;
    // The master's message is Node's own for its bind ("listen EADDRINUSE: address already in use :::3000"):
    // used as is, it reads as the app's listen() would without drover (prefixing it again doubled it).
    const text = m.message.startsWith(`${m.syscall} ${m.code}`) ? m.message : `${m.syscall} ${m.code}: ${m.message} ${where}`;
    const err = Object.assign(new Error(text), {
      code: m.code,
      errno: m.code,
      syscall: m.syscall,
      address: a.type === 'pipe' ? a.path : (a.host ?? '::'),
      port: a.type === 'tcp' ? a.port : undefined,
    });
    process.nextTick(() => pending.server.emit('error', err));
  }

  /** A faux handle closed (server.close()): this worker leaves that balancer. */
  release(handle: FauxHandle): void {
    const set = this.handles.get(handle.key);
    set?.delete(handle);
    if (set && set.size === 0) {
      this.handles.delete(handle.key);
      this.channel.send({ kind: 'unlisten', key: handle.key });
      this.barrier.hold(handle.key, handle.server);
    }
  }

  private deliver(key: string, connection: unknown, head: string | undefined): void {
    this.counts.add(key, 1, 0);
    for (const handle of this.handles.get(key) ?? []) {
      if (!handle.closed && handle.onconnection && !this.shutdownStarted) {
        if (head === undefined) return void handle.onconnection(0, connection);
        // The master read these bytes to find the session key (balancer/head-reader.ts):
        // they go back in front of the stream, after the app's 'connection'
        // listeners ran (http's parser is attached by then; unshift emits them
        // to a flowing socket at once, or keeps them first in its buffer).
        let socket: net.Socket | undefined;
        const capture = (s: net.Socket) => (socket = s);
        handle.server.prependOnceListener('connection', capture);
        handle.onconnection(0, connection);
        handle.server.off('connection', capture);
        if (socket && !socket.destroyed) socket.unshift(Buffer.from(head, 'latin1'));
        return;
      }
    }
    // Not listening (any more) or draining: back to the master for another worker.
    // Our copy of the fd is closed only once it is written to the channel.
    this.counts.add(key, 0, 1);
    const close = () => (connection as { close?: () => void }).close?.();
    this.channel.send(head === undefined ? { kind: 'conn-back', key } : { kind: 'conn-back', key, head }, connection, this.barrier.sending(key, close));
  }

  // ── master messages ─────────────────────────────────────────────────────

  private onMaster(message: MasterToWorker, handle: unknown): void {
    switch (message.kind) {
      case 'conn':
        return this.deliver(message.key, handle, typeof message.head === 'string' ? message.head : undefined);
      case 'listen-ok':
        return this.onListenOk(message, handle);
      case 'shed':
        return this.trackerByKey.get(message.key)?.shed(message.n);
      case 'listen-error':
        return this.onListenError(message);
      case 'shutdown':
        return void this.shutdown({ exitCode: 0, timeoutMs: message.timeoutMs, fromMaster: true });
      case 'ping':
        return this.pong(message.seq);
      case 'unlisten-ok':
        return this.barrier.acked(message.key);
      case 'app-ready':
        return markAppReady();
      case 'udp-ok':
        return this.udp.onOk(message, handle);
      case 'udp-error':
        return this.udp.onError(message);
      default:
        // A master of another version may send kinds this worker does not know.
        return ignoreUnknown(message);
    }
  }

  /**
   * The master died (even by SIGKILL: the IPC pipe closes). End this worker's
   * whole process group, children included, so nothing is orphaned.
   */
  private onMasterGone(): void {
    try {
      process.kill(-process.pid, 'SIGKILL');
    } catch {
      // Not a group leader (started outside drover): end this process only.
    }
    process.exit(1);
  }

  // ── stopping ────────────────────────────────────────────────────────────

  onShutdown(hook: ShutdownHook): void {
    this.hooks.push(hook);
  }

  private readonly onStopSignal = (): void => {
    // An app with its own handler for the stop signal keeps control of its exit.
    if (process.listenerCount(this.stopSignal) > 1) return;
    void this.shutdown({ exitCode: 0, timeoutMs: this.killTimeoutMs, fromMaster: false });
  };

  /**
   * Stop accepting, finish in-flight requests, run onShutdown hooks, exit.
   * When the app handles the stop signal itself, only the servers are drained:
   * the app decides when to exit (the master kills at its deadline).
   */
  async shutdown(options: { exitCode: number; timeoutMs: number; fromMaster: boolean }): Promise<void> {
    if (this.shutdownStarted) return;
    this.shutdownStarted = true;
    // Leave a margin before the master's SIGKILL to exit on our own terms.
    const deadline = Date.now() + Math.max(0, options.timeoutMs - Math.min(500, options.timeoutMs * 0.1));
    const drains = [...this.trackers.values()].map((t) => this.drainTracker(t, deadline));
    const appKeepsControl = options.fromMaster && process.listenerCount(this.stopSignal) > 1;
    await Promise.all(drains);
    // A drain ends when the server's sockets are gone; hand-offs may still be in the pipe.
    await withDeadline(this.barrier.settled(), deadline);
    if (appKeepsControl) return;
    await withDeadline(Promise.allSettled(this.hooks.map(async (hook) => hook())), deadline);
    process.exit(options.exitCode);
  }

  // ── crashes ─────────────────────────────────────────────────────────────

  private installCrashHandler(): void {
    process.on('uncaughtException', (err: unknown, origin: string) => {
      // Apps that install their own handler keep control, as without drover.
      if (process.listenerCount('uncaughtException') > 1) return;
      const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
      // An ES module's top-level throw or syntax error reaches this handler as
      // a rejection of Node's module job: call it what it is for the app.
      const loading = err instanceof SyntaxError || /node:internal\/modules\/(esm|run_main)/.test(text);
      const what = loading ? 'error while loading the app' : origin === 'unhandledRejection' ? 'unhandled rejection' : 'uncaught exception';
      process.stderr.write(`[drover worker ${this.workerId} pid ${process.pid}] ${what}, exiting:\n${text}\n`);
      if (this.shutdownStarted) return;
      this.channel.send({ kind: 'exiting', error: text });
      void this.shutdown({ exitCode: 1, timeoutMs: this.killTimeoutMs, fromMaster: false });
    });
  }

  ready(): void {
    this.channel.send({ kind: 'ready' });
  }

  claimStickyKey(key: string): void {
    this.channel.send({ kind: 'sticky-claim', key });
  }
}

/** net.Server#close without http's closeIdleConnections (see drain.ts). */
function closeServer(server: net.Server, cb: () => void): void {
  // A server the app closed already: the tracker sees its last socket go.
  if (!server.listening) return;
  net.Server.prototype.close.call(server, () => cb());
}

function withDeadline<T>(promise: Promise<T>, deadline: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), Math.max(0, deadline - Date.now()));
    timer.unref();
    promise.then((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}
