// The part of the message hub that exists from the master's start (issue 17:
// an app master ≤ 10 MB of private memory): the listening socket and its
// private directory, the workers' tokens, the guard of drover's IPC messages,
// the abuse strikes, the counts, and the master's own handlers and listeners.
// The hub proper (hub.ts: connections, flow control, routing, the master's
// end) and its module graph load when a process first connects or the master
// first sends, publishes or requests: most apps never use messaging, and
// every master held them.
//
// Contracts:
// - The socket listens from the first env() on, as before, so a worker can
//   connect at any time; a connection that comes while the hub loads waits
//   unread (the kernel and the socket buffer hold what it sends) and is
//   accepted once the hub is there, in the order connections came.
// - handle()/on() register in the same Dispatcher the hub's master end uses,
//   so a handler registered before the hub loaded (the state store's topic)
//   is there for the first request, with the same checks and errors.
// - One front serves one hub: `new MessageHub(options)` makes its own front
//   (tests, tools); the supervisor makes the front and the hub loads into it.
import { EventEmitter } from 'node:events';
import { chmodSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Logger } from '../logs/line-logger.js';
import { AbuseTracker } from './abuse.js';
import { checkTopic } from './envelope.js';
import { DEFAULT_REQUEST_TIMEOUT_MS, Dispatcher } from './endpoint.js';
import { DEFAULT_MAX_MESSAGE_BYTES, type Serialization } from './frame.js';
import { HubAuth } from './hub-auth.js';
import type { Role } from './hub-conn.js';
import { createHubDir, removeHubDir } from './hub-dir.js';
import type { AbuseEvent, HubOptions, MessageCounts, MessageHub } from './hub.js';
import { IpcGuard } from './ipc-guard.js';
import type { MasterMessenger, StateHandler } from './master-endpoint.js';

const NO_STATS = { connections: 0, routes: 0, pendingMasterRequests: 0, queuedBytes: 0 };

export class HubFront extends EventEmitter {
  readonly counts: MessageCounts = { send: 0, publish: 0, request: 0, reply: 0, ipc: 0 };
  readonly serialization: Serialization;
  readonly maxMessageBytes: number;
  readonly maxQueueBytes: number;
  readonly requestTimeoutMs: number;
  readonly abuseWindowMs: number;
  readonly log: Logger | undefined;
  readonly auth = new HubAuth();
  readonly abuse: AbuseTracker;
  readonly ipc: IpcGuard;
  /** The master's own handlers and listeners (the hub's master end dispatches from it). */
  readonly local = new Dispatcher();
  /** send/request/handle/on/publish/sendNow for the master itself: the first send, request or publish loads the hub. */
  readonly api: MasterMessenger;
  closed = false;

  private server: net.Server | undefined;
  private dir: string | undefined;
  socketPath: string | undefined;
  private unavailable = false;
  private hub: MessageHub | undefined;
  private loading: Promise<MessageHub> | undefined;
  private stateHandler: StateHandler | undefined;
  private stateOff: (() => void) | undefined;

  constructor(private readonly options: HubOptions = {}) {
    super();
    this.serialization = options.serialization ?? 'v8';
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.maxQueueBytes = options.maxQueueBytes ?? 8 * 1024 * 1024;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.abuseWindowMs = options.abuseWindowMs ?? 30_000;
    this.log = options.log;
    this.abuse = new AbuseTracker({ log: this.log, strikes: options.abuseStrikes ?? 5, windowMs: this.abuseWindowMs });
    this.ipc = new IpcGuard({
      ratePerSecond: options.ipcRateLimit ?? 20_000,
      // Rate-limited per worker and kind of offence, so one kind cannot hide another.
      offense: (wid, pid, what, details) => this.offense(wid, `ipc:${wid}:${String(details.kind ?? details.event)}`, `worker (wid ${wid}, pid ${pid}) ${what}`, details),
      strike: (wid, reason) => this.strike(wid, reason),
    });
    const later = <T>(call: (h: MessageHub) => Promise<T>): Promise<T> => (this.hub ? call(this.hub) : this.load().then(call));
    this.api = {
      // Once the hub is loaded, straight to it: no closure per message (a request is made per message, issue 17).
      send: (to, topic, payload) => (this.hub ? this.hub.api.send(to, topic, payload) : later((h) => h.api.send(to, topic, payload))),
      sendNow: (to, topic, payload) => (this.hub ? this.hub.api.sendNow(to, topic, payload) : later((h) => h.api.sendNow(to, topic, payload) ?? Promise.resolve())),
      request: (to, topic, payload, options) => (this.hub ? this.hub.api.request(to, topic, payload, options) : later((h) => h.api.request(to, topic, payload, options))),
      publish: (topic, payload) => (this.hub ? this.hub.api.publish(topic, payload) : later((h) => h.api.publish(topic, payload))),
      handle: (topic, fn) => {
        checkTopic(topic);
        this.local.setHandler(topic, fn);
        return () => this.local.removeHandler(topic, fn);
      },
      on: (topic, fn) => {
        checkTopic(topic);
        this.local.addListener(topic, fn);
        return () => void this.local.removeListener(topic, fn);
      },
    };
  }

  /** Called by the hub's constructor: from now on it is the hub. */
  attach(hub: MessageHub): void {
    this.hub = hub;
    if (this.stateHandler) this.stateOff = hub.handleState(this.stateHandler);
  }

  /** The hub, loaded now if it was not (hub.ts and its module graph). */
  load(): Promise<MessageHub> {
    this.loading ??= import('./hub.js').then(({ MessageHub }) => this.hub ?? new MessageHub(this.options, this));
    return this.loading;
  }

  /** The shared state store's handler of state frames (master-endpoint.ts answerState). */
  handleState(fn: StateHandler): () => void {
    this.stateHandler = fn;
    this.stateOff = this.hub?.handleState(fn);
    return () => {
      if (this.stateHandler !== fn) return;
      this.stateHandler = undefined;
      this.stateOff?.();
    };
  }

  /**
   * Registers a process about to be started and returns the variables to add
   * to its environment. Empty when the hub cannot listen (the worker then
   * starts anyway; its messaging calls fail with DROVER_E_MSG_NO_ROUTE).
   */
  env(wid: number, slot: number, role: Role = 'worker'): Record<string, string> {
    const socketPath = this.listen();
    if (!socketPath) return {};
    const token = this.auth.register(wid, slot, role);
    return {
      DROVER_MSG_SOCKET: socketPath,
      DROVER_MSG_TOKEN: token,
      DROVER_MSG_SERIALIZATION: this.serialization,
      DROVER_MSG_MAX_BYTES: String(this.maxMessageBytes),
      DROVER_MSG_QUEUE_BYTES: String(this.maxQueueBytes),
      DROVER_MSG_TIMEOUT_MS: String(this.requestTimeoutMs),
    };
  }

  /** The process exited: its token stops working, and requests waiting on it are rejected now. */
  workerGone(wid: number): void {
    if (this.hub) return this.hub.workerGone(wid);
    this.auth.forget(wid, false);
    this.abuse.forget(wid);
    this.ipc.forget(wid);
  }

  /** The supervisor saw the process ready (or the agent): calls waiting for it to connect get CONNECT_GRACE_MS from now. */
  ready(wid: number): void {
    this.auth.ready(wid);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.hub?.dropAll();
    this.auth.releaseAll();
    this.server?.close();
    this.server = undefined;
    if (this.dir) removeHubDir(this.dir);
  }

  /** For tests and diagnostics. */
  stats(): { connections: number; routes: number; pendingMasterRequests: number; queuedBytes: number } {
    return this.hub ? this.hub.stats() : { ...NO_STATS };
  }

  get path(): string | undefined {
    return this.socketPath;
  }

  /** Connections waiting to say hello (diagnostics, tests). */
  get unauthenticated(): number {
    return this.auth.unauthenticated.size;
  }

  offense(wid: number | undefined, key: string, message: string, details: Record<string, unknown>): void {
    this.abuse.offense(wid, key, message, details);
  }

  /** Counts a strike; enough within the window and the hub asks for the worker to be replaced (once). */
  strike(wid: number, reason: string): void {
    if (this.closed) return;
    const strikes = this.abuse.strike(wid);
    if (strikes === undefined) return;
    const reg = this.auth.byWid(wid);
    const slot = reg?.slot ?? -1;
    this.log?.error(
      { event: 'message-abuse-restart', wid, slot, reason, strikes },
      `${reg?.role === 'agent' ? 'the agent' : `worker ${slot}`} (wid ${wid}) abused the message channels ${strikes} times within ${this.abuseWindowMs} ms (last: ${reason}): replacing it`,
    );
    this.emit('abuse', { wid, slot, reason, strikes } satisfies AbuseEvent);
  }

  private listen(): string | undefined {
    if (this.socketPath && this.server) return this.socketPath;
    if (this.unavailable || this.closed) return undefined;
    try {
      this.dir = createHubDir();
      const socketPath = path.join(this.dir, 'hub.sock');
      const server = net.createServer((socket) => this.connection(socket));
      server.on('error', (err) => {
        this.unavailable = true;
        this.log?.error({ event: 'message-hub-error', err: err.message }, `message hub: ${err.message}; worker messaging is unavailable`);
      });
      // exclusive: never handed to a cluster primary, should this process be a cluster worker.
      // Binding a unix socket is synchronous, so workers can connect as soon as they run.
      server.listen({ path: socketPath, exclusive: true });
      chmodSync(socketPath, 0o600);
      server.unref();
      this.server = server;
      this.socketPath = socketPath;
      return socketPath;
    } catch (err) {
      this.unavailable = true;
      if (this.dir) removeHubDir(this.dir);
      this.log?.error({ event: 'message-hub-error', err: (err as Error).message }, `message hub could not listen: ${(err as Error).message}; worker messaging is unavailable`);
      return undefined;
    }
  }

  private connection(socket: net.Socket): void {
    if (this.hub) return this.hub.accept(socket);
    this.load().then(
      (hub) => hub.accept(socket),
      (err: Error) => {
        socket.destroy();
        this.log?.error({ event: 'message-hub-error', err: err.message }, `message hub could not load: ${err.message}; worker messaging is unavailable`);
      },
    );
  }
}
