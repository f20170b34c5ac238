// The master's message hub: one unix socket per Supervisor, in a private
// directory (mkdtemp, 0700; the socket 0600). Each worker gets the socket path
// and a random token in its environment, connects on its first messaging call
// (never during boot), says hello with the token, then exchanges frames.
//
// Why a side channel and not Node's IPC pipe: the IPC channel JSON-encodes and
// scans every message for newlines on both ends, and moves 64 KB at ~30 MB/s;
// the socket moves length-prefixed binary frames, and the hub routes them by
// their 24-byte header without decoding payloads (docs/messaging-benchmarks.md).
// Handles (listening sockets, connections) still travel over Node's channel.
//
// Memory stays bounded: each connection has a bounded outgoing queue (the
// socket's own buffer, maxQueueBytes). When a receiver's queue is full the hub
// stops reading from the sender (overflow 'wait': backpressure travels back to
// the sender's send() promise, which resolves only when the hub has routed the
// message) or refuses the message (overflow 'error'). The same applies to a
// sender that does not read its own replies. Frames from a connection are also
// rate-limited; protocol violations and floods are strikes, and repeated
// strikes make the hub emit 'abuse' so the supervisor replaces the worker.
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DroverError, type ErrorCode } from '../errors.js';
import type { Logger } from '../runtime/logger.js';
import {
  ADDR_AGENT,
  ADDR_MASTER,
  ADDR_NONE,
  ADDR_WORKERS,
  checkTopic,
  decodeAddress,
  describeAddress,
  encodeAddress,
  parseEnvelope,
  type Address,
  type Envelope,
} from './envelope.js';
import {
  DEFAULT_REQUEST_TIMEOUT_MS,
  Dispatcher,
  checkTimeout,
  errorBody,
  errorFromBody,
  handlerFailureBody,
  type Handler,
  type Listener,
  type Messenger,
  type RequestOptions,
} from './endpoint.js';
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  FrameDecoder,
  FrameTooLargeError,
  HEADER_BYTES,
  Kind,
  MAX_TOPIC_BYTES,
  decodePayload,
  encodeEmpty,
  encodeFrame,
  encodeJson,
  kindName,
  type Serialization,
} from './frame.js';
import { IpcGuard } from './ipc-guard.js';
import { PendingRequests } from './rpc.js';

export interface HubOptions {
  /** Payload encoding of the master and (through their environment) the workers. Default 'v8' (structured-clone types survive). */
  readonly serialization?: Serialization;
  /** Largest payload, bytes. Default 16 MiB. */
  readonly maxMessageBytes?: number;
  /** Bound of each connection's outgoing queue, bytes. Default 8 MiB. */
  readonly maxQueueBytes?: number;
  /** When a receiver's queue is full: the sender waits (default), or gets DROVER_E_MSG_OVERFLOW. */
  readonly overflow?: 'wait' | 'error';
  /**
   * Frames per second one connection may send (sustained; bursts up to one second's worth). 0: unlimited. Default 50 000.
   * Replies to requests routed to it are not counted: they are bounded by those requests.
   */
  readonly rateLimit?: number;
  /** Drover IPC messages per second one worker may send before they are dropped as a flood (the runtime sends a few). Default 20 000. */
  readonly ipcRateLimit?: number;
  /** Requests one connection may have waiting for replies. Default 10 000. */
  readonly maxPendingRequests?: number;
  /** Strikes (protocol violations, seconds of flooding) within abuseWindowMs that get a worker replaced. Default 5 in 30 s. */
  readonly abuseStrikes?: number;
  readonly abuseWindowMs?: number;
  /** Default timeout of request(). Default 10 s. */
  readonly requestTimeoutMs?: number;
  readonly log?: Logger;
}

export interface AbuseEvent {
  readonly wid: number;
  readonly slot: number;
  readonly reason: string;
  readonly strikes: number;
}

type Role = 'worker' | 'agent';

interface Registration {
  readonly wid: number;
  readonly slot: number;
  readonly role: Role;
  readonly token: string;
  readonly registeredAt: number;
}

interface Conn {
  readonly id: number;
  readonly socket: net.Socket;
  readonly decoder: FrameDecoder;
  reg: Registration | undefined;
  /** Its address as a sender: the worker id (slot), or ADDR_AGENT. */
  addr: number;
  readonly subs: Set<string>;
  closed: boolean;
  /** A frame read but not yet routed, waiting for capacity. */
  held: Buffer | undefined;
  blocked: boolean;
  pumping: boolean;
  corked: boolean;
  tokens: number;
  refilledAt: number;
  lastFloodStrike: number;
  /** Highest send/publish seq routed since the last ack. */
  ackSeq: number;
  /** Requests to the master being answered. */
  masterInflight: number;
  waitingForMasterSlot: boolean;
  /** Routes of requests this connection sent, and of those sent to it. */
  readonly originRoutes: Set<number>;
  readonly targetRoutes: Set<number>;
  /** Run (once) when its outgoing queue drains or it closes. */
  readonly drainWaiters: Set<() => void>;
  /** Bytes of the master's own messages waiting for this queue to drain (bounded by maxQueueBytes). */
  masterWaiting: number;
  authTimer: NodeJS.Timeout | undefined;
  /** unblock(this conn), one function per conn so that waiting twice on a queue adds it once. */
  resume: () => void;
}

interface Route {
  /** undefined: the master sent it (its promise is in this.rpc under the same seq). */
  readonly origin: Conn | undefined;
  readonly originSeq: number;
  readonly target: Conn;
  readonly topic: string;
  readonly deadline: number;
}

const FROM_PEER_BEFORE_AUTH = new Set<number>([Kind.hello]);
const FROM_PEER = new Set<number>([Kind.send, Kind.request, Kind.reply, Kind.error, Kind.sub, Kind.unsub, Kind.publish]);
const HELLO_MAX_BYTES = HEADER_BYTES + MAX_TOPIC_BYTES;
// A worker says hello in the same write as its connect, so the deadline can be
// short; and when 64 connections wait for theirs, the oldest is closed to make
// room: idle connections (anyone of the same uid can open them) cannot lock
// workers out of messaging (issue 15). A worker whose connection is closed
// before the welcome connects again (port.ts).
const AUTH_TIMEOUT_MS = 2_000;
const MAX_UNAUTHENTICATED = 64;
const MAX_TOPICS_PER_CONNECTION = 10_000;
/** Requests without a timeout still release their route after this long. */
const MAX_ROUTE_AGE_MS = 3_600_000;
const ROUTE_GRACE_MS = 1_000;
const SEQ_LIMIT = 0x1_0000_0000;
/**
 * Workers connect on their first messaging call, a moment after they start:
 * the master's own send/request to a worker started this recently, and not
 * connected yet, waits for it instead of failing with "no route".
 */
const CONNECT_GRACE_MS = 3_000;

const DIR_PREFIX = 'drover-hub-';

/**
 * A master killed by a signal runs no exit hook and leaves its directory
 * behind: the directory names carry the master's pid, and each new hub removes
 * those of masters that no longer run. A pid that is alive (ours, or reused by
 * anything) is left alone, so this only ever errs towards keeping one.
 */
function sweepStaleDirs(tmp: string): void {
  let names: string[];
  try {
    names = readdirSync(tmp);
  } catch {
    return;
  }
  for (const name of names) {
    const m = /^drover-hub-(\d+)-/.exec(name);
    if (!m) continue;
    try {
      process.kill(Number(m[1]), 0);
      continue;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') continue;
    }
    rmSync(path.join(tmp, name), { recursive: true, force: true });
  }
}

/** Socket directories to remove if the process exits without close(). */
const liveDirs = new Set<string>();
let exitHookInstalled = false;
function removeDirsOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
  });
}

export class MessageHub extends EventEmitter {
  /** send/request/handle/on/publish for the master itself. */
  readonly api: Messenger;
  readonly serialization: Serialization;
  private readonly maxMessageBytes: number;
  private readonly maxQueueBytes: number;
  private readonly overflow: 'wait' | 'error';
  private readonly rateLimit: number;
  private readonly maxPendingRequests: number;
  private readonly abuseStrikes: number;
  private readonly abuseWindowMs: number;
  private readonly requestTimeoutMs: number;
  private readonly log: Logger | undefined;

  private server: net.Server | undefined;
  private dir: string | undefined;
  private socketPath: string | undefined;
  private unavailable = false;
  private closed = false;

  private readonly registrations = new Map<string, Registration>();
  private readonly tokenByWid = new Map<number, string>();
  private readonly connByWid = new Map<number, Conn>();
  private readonly conns = new Set<Conn>();
  /** Connections per worker id, newest last: a replacement shares its slot with the worker it replaces. */
  private readonly bySlot = new Map<number, Conn[]>();
  private agents: Conn[] = [];
  private readonly subscribers = new Map<string, Set<Conn>>();
  /** Connections that have not said hello yet, oldest first. */
  private readonly unauthenticated = new Set<Conn>();
  private nextConnId = 1;
  /** Master calls waiting for a just-started worker (or agent) to connect, by address. */
  private readonly connectWaiters = new Map<number, Set<() => void>>();

  private readonly local = new Dispatcher();
  private readonly rpc: PendingRequests<Conn | undefined>;
  private readonly routes = new Map<number, Route>();
  private lastRouteSeq = 0;
  private masterSendSeq = 0;
  private sweeper: NodeJS.Timeout | undefined;

  private readonly corkedConns: Conn[] = [];
  private flushScheduled = false;

  private readonly strikes = new Map<number, number[]>();
  private readonly abused = new Set<number>();
  private readonly lastLog = new Map<string, { at: number; suppressed: number }>();
  readonly ipc: IpcGuard;

  constructor(options: HubOptions = {}) {
    super();
    this.serialization = options.serialization ?? 'v8';
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.maxQueueBytes = options.maxQueueBytes ?? 8 * 1024 * 1024;
    this.overflow = options.overflow ?? 'wait';
    this.rateLimit = options.rateLimit ?? 50_000;
    this.maxPendingRequests = options.maxPendingRequests ?? 10_000;
    this.abuseStrikes = options.abuseStrikes ?? 5;
    this.abuseWindowMs = options.abuseWindowMs ?? 30_000;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.log = options.log;
    this.rpc = new PendingRequests<Conn | undefined>();
    this.ipc = new IpcGuard({
      ratePerSecond: options.ipcRateLimit ?? 20_000,
      // Rate-limited per worker and kind of offence, so one kind cannot hide another.
      offense: (wid, pid, what, details) => this.offense(wid, `ipc:${wid}:${String(details.kind ?? details.event)}`, `worker (wid ${wid}, pid ${pid}) ${what}`, details),
      strike: (wid, reason) => this.strike(wid, reason),
    });
    this.api = {
      send: (to, topic, payload) => this.masterSend(to, topic, payload),
      request: <T>(to: Address, topic: string, payload?: unknown, opts?: RequestOptions) => this.masterRequest(to, topic, payload, opts) as Promise<T>,
      handle: (topic, fn) => this.masterHandle(topic, fn),
      on: (topic, fn) => this.masterOn(topic, fn),
      publish: (topic, payload) => this.masterPublish(topic, payload),
    };
  }

  // ── lifecycle (called by the supervisor) ────────────────────────────────

  /**
   * Registers a process about to be started and returns the variables to add
   * to its environment. Empty when the hub cannot listen (the worker then
   * starts anyway; its messaging calls fail with DROVER_E_MSG_NO_ROUTE).
   */
  env(wid: number, slot: number, role: Role = 'worker'): Record<string, string> {
    const socketPath = this.listen();
    if (!socketPath) return {};
    const old = this.tokenByWid.get(wid);
    if (old) this.registrations.delete(old);
    const token = randomBytes(24).toString('base64url');
    this.registrations.set(token, { wid, slot, role, token, registeredAt: performance.now() });
    this.tokenByWid.set(wid, token);
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
    const token = this.tokenByWid.get(wid);
    if (token) this.registrations.delete(token);
    this.tokenByWid.delete(wid);
    const conn = this.connByWid.get(wid);
    if (conn) this.drop(conn);
    this.strikes.delete(wid);
    this.abused.delete(wid);
    this.ipc.forget(wid);
    for (const key of this.lastLog.keys()) if (key.startsWith(`msg:${wid}:`) || key.startsWith(`ipc:${wid}:`)) this.lastLog.delete(key);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const c of [...this.conns]) this.drop(c);
    for (const waiters of this.connectWaiters.values()) for (const fn of waiters) fn();
    this.rpc.rejectAll((info) => new DroverError('DROVER_E_MSG_DISCONNECTED', `${info.what} failed: the supervisor stopped`));
    clearInterval(this.sweeper);
    this.server?.close();
    this.server = undefined;
    if (this.dir) {
      rmSync(this.dir, { recursive: true, force: true });
      liveDirs.delete(this.dir);
    }
  }

  /** For tests and diagnostics. */
  stats(): { connections: number; routes: number; pendingMasterRequests: number; queuedBytes: number } {
    let queuedBytes = 0;
    for (const c of this.conns) queuedBytes += c.socket.writableLength + c.decoder.bufferedBytes;
    return { connections: this.conns.size, routes: this.routes.size, pendingMasterRequests: this.rpc.size, queuedBytes };
  }

  get path(): string | undefined {
    return this.socketPath;
  }

  private listen(): string | undefined {
    if (this.socketPath && this.server) return this.socketPath;
    if (this.unavailable || this.closed) return undefined;
    try {
      // mkdtemp creates the directory with mode 0700: only this user can reach the socket.
      sweepStaleDirs(os.tmpdir());
      this.dir = mkdtempSync(path.join(os.tmpdir(), `${DIR_PREFIX}${process.pid}-`));
      liveDirs.add(this.dir);
      removeDirsOnExit();
      const socketPath = path.join(this.dir, 'hub.sock');
      const server = net.createServer((socket) => this.accept(socket));
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
      if (this.dir) rmSync(this.dir, { recursive: true, force: true });
      this.log?.error({ event: 'message-hub-error', err: (err as Error).message }, `message hub could not listen: ${(err as Error).message}; worker messaging is unavailable`);
      return undefined;
    }
  }

  // ── connections ──────────────────────────────────────────────────────────

  private accept(socket: net.Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    if (this.unauthenticated.size >= MAX_UNAUTHENTICATED) {
      const oldest = this.unauthenticated.values().next().value!;
      this.offense(undefined, 'auth-evict', `more than ${MAX_UNAUTHENTICATED} connections to the message hub are waiting to say hello: the oldest was closed`, {});
      this.drop(oldest);
    }
    const c: Conn = {
      id: this.nextConnId++,
      socket,
      decoder: new FrameDecoder(HELLO_MAX_BYTES),
      reg: undefined,
      addr: ADDR_NONE,
      subs: new Set(),
      closed: false,
      held: undefined,
      blocked: false,
      pumping: false,
      corked: false,
      tokens: this.rateLimit,
      refilledAt: performance.now(),
      lastFloodStrike: -Infinity,
      ackSeq: 0,
      masterInflight: 0,
      waitingForMasterSlot: false,
      originRoutes: new Set(),
      targetRoutes: new Set(),
      drainWaiters: new Set(),
      masterWaiting: 0,
      authTimer: undefined,
      resume: () => this.unblock(c),
    };
    this.unauthenticated.add(c);
    c.authTimer = setTimeout(() => this.fatal(c, 'DROVER_E_MSG_INVALID', `no hello within ${AUTH_TIMEOUT_MS} ms`), AUTH_TIMEOUT_MS);
    c.authTimer.unref();
    this.conns.add(c);
    socket.on('data', (chunk: Buffer) => {
      c.decoder.push(chunk);
      this.pump(c);
    });
    socket.on('drain', () => this.drained(c));
    socket.on('error', (err) => this.log?.debug({ event: 'message-connection-error', wid: c.reg?.wid, err: err.message }, 'message connection error'));
    socket.on('close', () => this.drop(c));
  }

  private authenticate(c: Conn, env: Envelope): void {
    const reg = this.registrations.get(env.topic);
    if (!reg) {
      this.offense(undefined, 'auth', 'a connection to the message hub presented an unknown token', {});
      return this.fatal(c, 'DROVER_E_MSG_INVALID', 'unknown token: this process was not started by this supervisor, or it has exited');
    }
    if (this.connByWid.has(reg.wid)) {
      // One connection per process: a copied token cannot take over a live worker's connection.
      // Closed without a fatal reason, so a port that raced its own reconnect simply retries.
      this.offense(reg.wid, `msg:${reg.wid}:token`, `a second connection presented the token of worker ${reg.slot} (wid ${reg.wid}) while its first is open: refused`, {});
      this.drop(c);
      return;
    }
    clearTimeout(c.authTimer);
    c.authTimer = undefined;
    this.unauthenticated.delete(c);
    c.reg = reg;
    c.addr = reg.role === 'agent' ? ADDR_AGENT : reg.slot;
    c.decoder.maxFrameBytes = HEADER_BYTES + MAX_TOPIC_BYTES + this.maxMessageBytes;
    this.connByWid.set(reg.wid, c);
    if (reg.role === 'agent') {
      this.agents.push(c);
    } else {
      const list = this.bySlot.get(reg.slot);
      if (list) list.push(c);
      else this.bySlot.set(reg.slot, [c]);
    }
    this.write(c, encodeEmpty({ kind: Kind.welcome, seq: 0, ack: 0, to: c.addr, from: ADDR_MASTER, topic: '' }));
    const waiters = this.connectWaiters.get(c.addr);
    if (waiters) {
      this.connectWaiters.delete(c.addr);
      for (const fn of waiters) fn();
    }
  }

  /**
   * How long a process started for addr may still take to connect: ms left of
   * CONNECT_GRACE_MS after the start of the newest one that has not connected
   * yet (0 when none is starting).
   */
  private startingFor(addr: number): number {
    let latest = -Infinity;
    for (const r of this.registrations.values()) {
      if ((addr === ADDR_AGENT ? r.role === 'agent' : r.role === 'worker' && r.slot === addr) && !this.connByWid.has(r.wid)) {
        latest = Math.max(latest, r.registeredAt);
      }
    }
    return Math.max(0, latest + CONNECT_GRACE_MS - performance.now());
  }

  /** Calls fn once addr connects, or after waitMs. */
  private onConnectOrTimeout(addr: number, waitMs: number, fn: () => void): void {
    let set = this.connectWaiters.get(addr);
    if (!set) this.connectWaiters.set(addr, (set = new Set()));
    const done = () => {
      clearTimeout(timer);
      set!.delete(done);
      fn();
    };
    const timer = setTimeout(done, waitMs);
    timer.unref();
    set.add(done);
  }

  /** The connection at addr, waiting (CONNECT_GRACE_MS after its start at most) for a process that has started but not connected yet. */
  private async connected(addr: number): Promise<Conn | undefined> {
    const now = performance.now();
    for (;;) {
      const t = this.target(addr);
      if (t || this.closed) return t;
      const waitMs = this.startingFor(addr);
      if (waitMs <= 0 || performance.now() - now > CONNECT_GRACE_MS) return undefined;
      await new Promise<void>((resolve) => this.onConnectOrTimeout(addr, waitMs, resolve));
    }
  }

  /**
   * A frame from c for addr, which has no connection: when a process for addr
   * has just been started (a worker's replacement, an agent still booting),
   * reading from c pauses until it connects or its grace ends, and the frame is
   * retried (false: held); otherwise true, and the caller answers NO_ROUTE.
   * Pausing keeps c's messages in order; it lasts CONNECT_GRACE_MS at most.
   */
  private noRouteYet(c: Conn, addr: number): boolean {
    const waitMs = this.startingFor(addr);
    if (waitMs <= 0 || this.closed) return true;
    this.block(c);
    this.onConnectOrTimeout(addr, waitMs, c.resume);
    return false;
  }

  /** Forgets a connection: its waiting requests are answered with an error at once, in both directions. */
  private drop(c: Conn, destroy = true): void {
    if (c.closed) return;
    c.closed = true;
    c.held = undefined;
    c.decoder.clear();
    if (c.authTimer) {
      clearTimeout(c.authTimer);
      this.unauthenticated.delete(c);
    }
    this.conns.delete(c);
    const reg = c.reg;
    if (reg) {
      if (this.connByWid.get(reg.wid) === c) this.connByWid.delete(reg.wid);
      if (reg.role === 'agent') {
        this.agents = this.agents.filter((x) => x !== c);
      } else {
        const list = this.bySlot.get(reg.slot)?.filter((x) => x !== c);
        if (list && list.length > 0) this.bySlot.set(reg.slot, list);
        else this.bySlot.delete(reg.slot);
      }
    }
    for (const topic of c.subs) this.unsubscribe(c, topic);
    for (const seq of c.targetRoutes) {
      const route = this.routes.get(seq);
      if (!route) continue;
      this.forgetRoute(seq, route);
      const message = `${describeAddress(c.addr)} exited or disconnected before replying to request '${route.topic}'`;
      if (!route.origin) {
        this.rpc.reject(seq, new DroverError('DROVER_E_MSG_DISCONNECTED', message));
      } else if (!route.origin.closed) {
        this.write(route.origin, this.errorFrame(route.originSeq, c.addr, 'DROVER_E_MSG_DISCONNECTED', message));
      }
    }
    for (const seq of c.originRoutes) {
      const route = this.routes.get(seq);
      if (route) this.forgetRoute(seq, route);
    }
    this.rpc.rejectTag(c, (info) => new DroverError('DROVER_E_MSG_DISCONNECTED', `${info.what} failed: the receiver exited or disconnected before replying`));
    const waiters = [...c.drainWaiters];
    c.drainWaiters.clear();
    for (const fn of waiters) fn();
    if (destroy) c.socket.destroy();
  }

  /** Tells the peer why, then closes: the reason is flushed, the socket destroyed a second later at the latest. */
  private fatal(c: Conn, code: ErrorCode, message: string): void {
    if (c.closed) return;
    const socket = c.socket;
    this.drop(c, false);
    socket.pause();
    socket.end(encodeJson({ kind: Kind.fatal, seq: 0, ack: 0, to: ADDR_NONE, from: ADDR_MASTER, topic: '' }, errorBody(code, `the master closed this message connection: ${message}`)));
    setTimeout(() => socket.destroy(), 1_000).unref();
  }

  // ── reading: one connection's frames, in order ───────────────────────────

  private pump(c: Conn): void {
    if (c.pumping || c.closed) return;
    c.pumping = true;
    try {
      while (!c.blocked && !c.closed) {
        let frame = c.held;
        if (frame) {
          c.held = undefined;
        } else {
          try {
            frame = c.decoder.next();
          } catch (err) {
            if (err instanceof FrameTooLargeError) {
              this.violation(c, `announced a frame of ${err.bytes} bytes (limit ${err.max})`, true, 'DROVER_E_MSG_TOO_LARGE');
            } else {
              this.violation(c, `sent an unreadable frame: ${(err as Error).message}`, true);
            }
            return;
          }
          if (!frame) break;
          // Replies are answers to requests the hub routed, so bounded by them: only unmatched ones are charged (in onReply).
          const kind = frame[5];
          if (this.rateLimit > 0 && c.reg && kind !== Kind.reply && kind !== Kind.error && !this.takeToken(c)) {
            c.held = frame;
            break;
          }
        }
        let done: boolean;
        try {
          done = this.onFrame(c, frame);
        } catch (err) {
          // A bug or a hostile input we did not foresee: the master carries on.
          this.log?.error({ event: 'message-hub-bug', wid: c.reg?.wid, err: (err as Error).stack }, `message hub: ${(err as Error).message}`);
          this.violation(c, `sent a frame the hub could not handle: ${(err as Error).message}`, true);
          return;
        }
        if (!done) {
          c.held = frame;
          break;
        }
      }
    } finally {
      c.pumping = false;
    }
    if (c.ackSeq !== 0 && !c.closed) {
      this.write(c, encodeEmpty({ kind: Kind.ack, seq: 0, ack: c.ackSeq, to: ADDR_NONE, from: ADDR_MASTER, topic: '' }));
      c.ackSeq = 0;
    }
  }

  /** Token bucket: rateLimit frames/s, bursts of one second's worth. */
  private takeToken(c: Conn): boolean {
    // Refilled on every frame: refilling only once the bucket is empty would
    // credit the whole time since the last refill at once (a second burst).
    const now = performance.now();
    c.tokens = Math.min(this.rateLimit, c.tokens + ((now - c.refilledAt) * this.rateLimit) / 1000);
    c.refilledAt = now;
    if (c.tokens >= 1) {
      c.tokens--;
      return true;
    }
    if (now - c.lastFloodStrike >= 1000) {
      c.lastFloodStrike = now;
      this.offense(c.reg?.wid, `msg:${c.reg?.wid}:flood`, `${this.who(c)} sends more than ${this.rateLimit} messages/s: throttled`, { event: 'message-flood' });
      if (c.reg) this.strike(c.reg.wid, `message flood (more than ${this.rateLimit}/s)`);
    }
    const waitMs = Math.max(1, Math.ceil(((1 - c.tokens) * 1000) / this.rateLimit));
    this.block(c);
    setTimeout(() => this.unblock(c), waitMs).unref();
    return false;
  }

  private block(c: Conn): void {
    if (c.blocked) return;
    c.blocked = true;
    c.socket.pause();
  }

  private unblock(c: Conn): void {
    if (!c.blocked || c.closed) return;
    c.blocked = false;
    c.socket.resume();
    this.pump(c);
  }

  private waitForDrain(target: Conn, c: Conn): false {
    this.block(c);
    target.drainWaiters.add(c.resume);
    return false;
  }

  private drained(c: Conn): void {
    if (c.drainWaiters.size === 0) return;
    const waiters = [...c.drainWaiters];
    c.drainWaiters.clear();
    for (const fn of waiters) fn();
  }

  private full(c: Conn): boolean {
    return c.socket.writableLength >= this.maxQueueBytes;
  }

  /** Handles one frame; false when it must wait for capacity (the frame is held and retried). */
  private onFrame(c: Conn, frame: Buffer): boolean {
    const parsed = parseEnvelope(frame, c.reg ? FROM_PEER : FROM_PEER_BEFORE_AUTH);
    if (!parsed.ok) {
      this.violation(c, `sent a malformed frame: ${parsed.error}`, true);
      return true;
    }
    const env = parsed.envelope;
    if (!c.reg) {
      this.authenticate(c, env);
      return true;
    }
    // A peer that does not read what we send it gets nothing more read from it.
    if (this.full(c)) return this.waitForDrain(c, c);
    switch (env.kind) {
      case Kind.send:
        return this.onSend(c, env, frame);
      case Kind.publish:
        return this.onPublish(c, env, frame);
      case Kind.request:
        return this.onRequest(c, env, frame);
      case Kind.reply:
      case Kind.error:
        return this.onReply(c, env, frame);
      case Kind.sub:
        if (!c.subs.has(env.topic)) {
          if (c.subs.size >= MAX_TOPICS_PER_CONNECTION) {
            this.violation(c, `subscribed to more than ${MAX_TOPICS_PER_CONNECTION} topics`, false);
            return true;
          }
          c.subs.add(env.topic);
          let set = this.subscribers.get(env.topic);
          if (!set) this.subscribers.set(env.topic, (set = new Set()));
          set.add(c);
        }
        return true;
      case Kind.unsub:
        this.unsubscribe(c, env.topic);
        return true;
      default:
        this.violation(c, `sent a ${kindName(env.kind)} frame`, true);
        return true;
    }
  }

  private onSend(c: Conn, env: Envelope, frame: Buffer): boolean {
    if (env.to === ADDR_MASTER) {
      if (!this.deliverLocally(c, env, frame)) return true;
      c.ackSeq = env.seq;
      return true;
    }
    let targets: Conn[];
    if (env.to === ADDR_WORKERS) {
      targets = [];
      for (const t of this.subscribers.get(env.topic) ?? []) if (t.reg?.role === 'worker') targets.push(t);
    } else {
      const t = this.target(env.to);
      if (!t) {
        if (!this.noRouteYet(c, env.to)) return false;
        this.nack(c, env.seq, 'DROVER_E_MSG_NO_ROUTE', noRoute(env.to));
        return true;
      }
      // A receiver without a listener for the topic would drop it: save the bytes.
      targets = t.subs.has(env.topic) ? [t] : [];
    }
    return this.fanOut(c, env, frame, targets);
  }

  private onPublish(c: Conn, env: Envelope, frame: Buffer): boolean {
    const targets = [...(this.subscribers.get(env.topic) ?? [])];
    if (this.local.hasListeners(env.topic)) {
      // Capacity first: the master's listeners must not see it twice when the frame is retried.
      if (this.overflow === 'wait') {
        const full = targets.find((t) => this.full(t));
        if (full) return this.waitForDrain(full, c);
      }
      if (!this.deliverLocally(c, env, frame)) return true;
    }
    return this.fanOut(c, env, frame, targets);
  }

  /** Forwards one send/publish to its receivers, all or (overflow 'wait') none until every one has room. */
  private fanOut(c: Conn, env: Envelope, frame: Buffer, targets: Conn[]): boolean {
    const skipped: Conn[] = [];
    for (const t of targets) {
      if (!this.full(t)) continue;
      if (this.overflow === 'wait') return this.waitForDrain(t, c);
      skipped.push(t);
    }
    if (targets.length > skipped.length) {
      const out = this.own(frame);
      out.writeInt32BE(c.addr, 20);
      for (const t of targets) if (!skipped.includes(t)) this.write(t, out);
    }
    if (skipped.length > 0) {
      const names = skipped.map((t) => describeAddress(t.addr)).join(', ');
      this.nack(
        c,
        env.seq,
        'DROVER_E_MSG_OVERFLOW',
        `${names} ${skipped.length === 1 ? 'is' : 'are'} not keeping up (${this.maxQueueBytes} bytes queued): the message was dropped for ${skipped.length === 1 ? 'it' : 'them'}${targets.length > skipped.length ? `, delivered to the other ${targets.length - skipped.length}` : ''}`,
      );
    } else {
      c.ackSeq = env.seq;
    }
    return true;
  }

  private onRequest(c: Conn, env: Envelope, frame: Buffer): boolean {
    if (env.to === ADDR_MASTER) return this.answerLocally(c, env, frame);
    if (env.to === ADDR_WORKERS) {
      this.write(c, this.errorFrame(env.seq, ADDR_MASTER, 'DROVER_E_MSG_INVALID', "request() needs a single receiver: 'master', 'agent' or a worker id, not 'workers'"));
      return true;
    }
    const target = this.target(env.to);
    if (!target) {
      if (!this.noRouteYet(c, env.to)) return false;
      this.write(c, this.errorFrame(env.seq, ADDR_MASTER, 'DROVER_E_MSG_NO_ROUTE', noRoute(env.to)));
      return true;
    }
    if (c.originRoutes.size >= this.maxPendingRequests) {
      this.write(c, this.errorFrame(env.seq, ADDR_MASTER, 'DROVER_E_MSG_OVERFLOW', `more than ${this.maxPendingRequests} requests are waiting for replies: await some before sending more`));
      return true;
    }
    if (this.full(target)) {
      if (this.overflow === 'wait') return this.waitForDrain(target, c);
      this.write(c, this.errorFrame(env.seq, ADDR_MASTER, 'DROVER_E_MSG_OVERFLOW', `${describeAddress(target.addr)} is not keeping up (${this.maxQueueBytes} bytes queued): request refused`));
      return true;
    }
    const seq = this.addRoute(c, env.seq, target, env.topic, env.ack);
    const out = this.own(frame);
    out.writeUInt32BE(seq, 8);
    out.writeInt32BE(c.addr, 20);
    this.write(target, out);
    return true;
  }

  private onReply(c: Conn, env: Envelope, frame: Buffer): boolean {
    const route = this.routes.get(env.ack);
    // Late (the requester gave up) or not addressed to this connection: ignored, but charged, so they cannot flood.
    if (!route || route.target !== c) return this.rateLimit <= 0 || this.takeToken(c);
    const origin = route.origin;
    if (!origin) {
      this.forgetRoute(env.ack, route);
      if (env.kind === Kind.error) {
        this.rpc.reject(env.ack, errorFromBody(frame.toString('utf8', env.payloadOffset)));
      } else {
        let value: unknown;
        try {
          value = decodePayload(frame, env.payloadOffset);
        } catch (err) {
          this.rpc.reject(env.ack, err as Error);
          return true;
        }
        this.rpc.resolve(env.ack, value);
      }
      return true;
    }
    if (origin.closed) {
      this.forgetRoute(env.ack, route);
      return true;
    }
    if (this.full(origin)) {
      if (this.overflow === 'wait') return this.waitForDrain(origin, c);
      this.forgetRoute(env.ack, route);
      this.write(origin, this.errorFrame(route.originSeq, c.addr, 'DROVER_E_MSG_OVERFLOW', 'the reply was dropped: this process is not reading its messages fast enough'));
      return true;
    }
    this.forgetRoute(env.ack, route);
    const out = this.own(frame);
    out.writeUInt32BE(route.originSeq, 12);
    out.writeInt32BE(c.addr, 20);
    this.write(origin, out);
    return true;
  }

  // ── the master as a receiver ─────────────────────────────────────────────

  /** Decodes a payload for the master's own listeners; false (and a nack) when it cannot be decoded. */
  private deliverLocally(c: Conn, env: Envelope, frame: Buffer): boolean {
    if (!this.local.hasListeners(env.topic)) return true;
    let payload: unknown;
    try {
      payload = decodePayload(frame, env.payloadOffset);
    } catch (err) {
      this.nack(c, env.seq, 'DROVER_E_MSG_SERIALIZE', (err as Error).message);
      this.violation(c, `sent an undecodable payload on '${env.topic}'`, false);
      return false;
    }
    this.local.emit(env.topic, payload, { from: decodeAddress(c.addr), topic: env.topic }, (err) => this.listenerFailed(env.topic, err));
    return true;
  }

  private answerLocally(c: Conn, env: Envelope, frame: Buffer): boolean {
    const handler = this.local.handler(env.topic);
    if (!handler) {
      this.write(c, this.errorFrame(env.seq, ADDR_MASTER, 'DROVER_E_MSG_NO_HANDLER', `the master has no handler for '${env.topic}': register one with supervisor.messages.handle('${env.topic}', fn)`));
      return true;
    }
    // Handlers may be async: bound how many run at once per connection, so a flood cannot pile up promises.
    if (c.masterInflight >= this.maxPendingRequests) {
      c.waitingForMasterSlot = true;
      this.block(c);
      return false;
    }
    let payload: unknown;
    try {
      payload = decodePayload(frame, env.payloadOffset);
    } catch (err) {
      this.violation(c, `sent an undecodable payload on '${env.topic}'`, false);
      this.write(c, this.errorFrame(env.seq, ADDR_MASTER, 'DROVER_E_MSG_SERIALIZE', (err as Error).message));
      return true;
    }
    c.masterInflight++;
    const seq = env.seq;
    const topic = env.topic;
    const done = (reply: Buffer) => {
      c.masterInflight--;
      if (c.closed) return;
      this.write(c, reply);
      if (c.waitingForMasterSlot) {
        c.waitingForMasterSlot = false;
        this.unblock(c);
      }
    };
    const ok = (value: unknown) => done(this.replyFrame(seq, c.addr, value));
    const failed = (err: unknown) => done(this.encodeError(seq, ADDR_MASTER, handlerFailureBody(err, topic, 'the master')));
    try {
      const result = handler(payload, { from: decodeAddress(c.addr), topic });
      if (isThenable(result)) result.then(ok, failed);
      else ok(result);
    } catch (err) {
      failed(err);
    }
    return true;
  }

  private listenerFailed(topic: string, err: unknown): void {
    this.log?.error({ event: 'message-listener-error', topic, err: err instanceof Error ? err.stack : String(err) }, `a master listener for '${topic}' threw: ${(err as Error)?.message ?? String(err)}`);
  }

  // ── the master as a sender (supervisor.messages) ─────────────────────────

  private async masterSend(to: Address, topic: string, payload: unknown): Promise<void> {
    const addr = encodeAddress(to);
    checkTopic(topic);
    const frame = encodeFrame({ kind: Kind.send, seq: this.nextMasterSendSeq(), ack: 0, to: addr, from: ADDR_MASTER, topic }, payload, this.serialization, this.maxMessageBytes);
    if (addr === ADDR_MASTER) return this.loopback(topic, frame);
    let targets: Conn[];
    if (addr === ADDR_WORKERS) {
      targets = [...(this.subscribers.get(topic) ?? [])].filter((t) => t.reg?.role === 'worker');
    } else {
      const t = await this.connected(addr);
      if (!t) throw new DroverError('DROVER_E_MSG_NO_ROUTE', noRoute(addr));
      targets = t.subs.has(topic) ? [t] : [];
    }
    await this.masterWrite(targets, frame, addr !== ADDR_WORKERS);
  }

  private async masterPublish(topic: string, payload: unknown): Promise<void> {
    checkTopic(topic);
    const frame = encodeFrame({ kind: Kind.publish, seq: this.nextMasterSendSeq(), ack: 0, to: ADDR_NONE, from: ADDR_MASTER, topic }, payload, this.serialization, this.maxMessageBytes);
    const targets = [...(this.subscribers.get(topic) ?? [])];
    const local = this.loopback(topic, frame);
    await this.masterWrite(targets, frame, false);
    await local;
  }

  /** The master's own listeners get a decoded copy, as any other process would (and later, never re-entrantly). */
  private async loopback(topic: string, frame: Buffer): Promise<void> {
    if (!this.local.hasListeners(topic)) return;
    await Promise.resolve();
    const payload = decodePayload(frame, HEADER_BYTES + frame[7]!);
    this.local.emit(topic, payload, { from: 'master', topic }, (err) => this.listenerFailed(topic, err));
  }

  private async masterWrite(targets: Conn[], frame: Buffer, single: boolean): Promise<void> {
    const overflowed: Conn[] = [];
    for (const t of targets) {
      if (!t.closed && this.full(t) && this.overflow === 'wait') {
        // The master's own backlog is bounded too: an app that does not await its sends gets an error, not unbounded memory.
        if (t.masterWaiting + frame.length > this.maxQueueBytes) {
          overflowed.push(t);
          continue;
        }
        t.masterWaiting += frame.length;
        try {
          while (!t.closed && this.full(t)) await new Promise<void>((resolve) => t.drainWaiters.add(resolve));
        } finally {
          t.masterWaiting -= frame.length;
        }
      }
      if (t.closed) {
        if (single) throw new DroverError('DROVER_E_MSG_DISCONNECTED', `${describeAddress(t.addr)} disconnected before the message could be delivered`);
        continue;
      }
      if (this.full(t)) overflowed.push(t);
      else this.write(t, frame);
    }
    if (overflowed.length > 0) {
      throw new DroverError(
        'DROVER_E_MSG_OVERFLOW',
        `${overflowed.map((t) => describeAddress(t.addr)).join(', ')} not keeping up (${this.maxQueueBytes} bytes queued${this.overflow === 'wait' ? ', and as many waiting' : ''}): the message was dropped for ${overflowed.length === 1 ? 'it' : 'them'}; await send() before sending more`,
      );
    }
  }

  private masterRequest(to: Address, topic: string, payload: unknown, options: RequestOptions | undefined): Promise<unknown> {
    try {
      const addr = encodeAddress(to);
      checkTopic(topic);
      const timeoutMs = checkTimeout(options, this.requestTimeoutMs);
      if (addr === ADDR_WORKERS) {
        throw new DroverError('DROVER_E_MSG_INVALID', "request() needs a single receiver: 'master', 'agent' or a worker id, not 'workers'");
      }
      if (addr === ADDR_MASTER) return this.requestSelf(topic, payload, timeoutMs);
      // No async hop on the common path: the frame leaves in this tick.
      const target = this.target(addr);
      if (target) return this.requestTo(target, addr, topic, payload, timeoutMs);
      return this.connected(addr).then((t) => {
        if (!t) throw new DroverError('DROVER_E_MSG_NO_ROUTE', noRoute(addr));
        return this.requestTo(t, addr, topic, payload, timeoutMs);
      });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private requestTo(target: Conn, addr: number, topic: string, payload: unknown, timeoutMs: number): Promise<unknown> {
    if (this.full(target) && this.overflow === 'error') {
      throw new DroverError('DROVER_E_MSG_OVERFLOW', `${describeAddress(addr)} is not keeping up (${this.maxQueueBytes} bytes queued): request refused`);
    }
    const seq = this.nextRouteSeq();
    const frame = encodeFrame({ kind: Kind.request, seq, ack: timeoutMs, to: addr, from: ADDR_MASTER, topic }, payload, this.serialization, this.maxMessageBytes);
    // The route lets the reply be matched to its receiver; a route whose request timed out is swept later.
    this.addRoute(undefined, 0, target, topic, timeoutMs, seq);
    const reply = this.rpc.add(seq, { what: `request '${topic}' to ${describeAddress(addr)}`, timeoutMs, tag: target });
    if (!this.full(target)) {
      this.write(target, frame);
    } else {
      const retry = () => {
        if (target.closed) return;
        if (this.full(target)) target.drainWaiters.add(retry);
        else this.write(target, frame);
      };
      target.drainWaiters.add(retry);
    }
    return reply;
  }

  /** request('master', …) from the master: its own handler, with the same copying and errors as from afar. */
  private async requestSelf(topic: string, payload: unknown, timeoutMs: number): Promise<unknown> {
    const handler = this.local.handler(topic);
    if (!handler) throw new DroverError('DROVER_E_MSG_NO_HANDLER', `the master has no handler for '${topic}'`);
    const frame = encodeFrame({ kind: Kind.request, seq: 1, ack: 0, to: ADDR_MASTER, from: ADDR_MASTER, topic }, payload, this.serialization, this.maxMessageBytes);
    const copy = decodePayload(frame, HEADER_BYTES + frame[7]!);
    const seq = this.nextRouteSeq();
    const reply = this.rpc.add(seq, { what: `request '${topic}' to the master`, timeoutMs, tag: undefined });
    Promise.resolve()
      .then(() => handler(copy, { from: 'master', topic }))
      .then(
        (value) => {
          const out = this.replyFrame(seq, ADDR_MASTER, value);
          if (out[5] === Kind.error) this.rpc.reject(seq, errorFromBody(out.toString('utf8', HEADER_BYTES)));
          else this.rpc.resolve(seq, decodePayload(out, HEADER_BYTES));
        },
        (err) => this.rpc.reject(seq, errorFromBody(handlerFailureBody(err, topic, 'the master'))),
      );
    return reply;
  }

  private masterHandle(topic: string, fn: Handler): () => void {
    checkTopic(topic);
    this.local.setHandler(topic, fn);
    return () => this.local.removeHandler(topic, fn);
  }

  private masterOn(topic: string, fn: Listener): () => void {
    checkTopic(topic);
    this.local.addListener(topic, fn);
    return () => void this.local.removeListener(topic, fn);
  }

  // ── routing helpers ──────────────────────────────────────────────────────

  private target(addr: number): Conn | undefined {
    if (addr >= 0) {
      const list = this.bySlot.get(addr);
      return list ? list[list.length - 1] : undefined;
    }
    if (addr === ADDR_AGENT) return this.agents[this.agents.length - 1];
    return undefined;
  }

  private unsubscribe(c: Conn, topic: string): void {
    c.subs.delete(topic);
    const set = this.subscribers.get(topic);
    if (!set) return;
    set.delete(c);
    if (set.size === 0) this.subscribers.delete(topic);
  }

  private nextRouteSeq(): number {
    do {
      this.lastRouteSeq = (this.lastRouteSeq + 1) % SEQ_LIMIT;
    } while (this.lastRouteSeq === 0 || this.routes.has(this.lastRouteSeq) || this.rpc.has(this.lastRouteSeq));
    return this.lastRouteSeq;
  }

  private nextMasterSendSeq(): number {
    this.masterSendSeq = (this.masterSendSeq % (SEQ_LIMIT - 1)) + 1;
    return this.masterSendSeq;
  }

  private addRoute(origin: Conn | undefined, originSeq: number, target: Conn, topic: string, timeoutMs: number, seq = this.nextRouteSeq()): number {
    const age = timeoutMs > 0 ? Math.min(timeoutMs, MAX_ROUTE_AGE_MS) : MAX_ROUTE_AGE_MS;
    this.routes.set(seq, { origin, originSeq, target, topic, deadline: performance.now() + age + ROUTE_GRACE_MS });
    origin?.originRoutes.add(seq);
    target.targetRoutes.add(seq);
    if (!this.sweeper) {
      this.sweeper = setInterval(() => this.sweep(), 1_000);
      this.sweeper.unref();
    }
    return seq;
  }

  private forgetRoute(seq: number, route: Route): void {
    this.routes.delete(seq);
    route.origin?.originRoutes.delete(seq);
    route.target.targetRoutes.delete(seq);
  }

  /** Routes whose requester has given up (its own timeout passed) are forgotten. */
  private sweep(): void {
    const now = performance.now();
    for (const [seq, route] of this.routes) if (route.deadline <= now) this.forgetRoute(seq, route);
    if (this.routes.size === 0) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  /**
   * A frame that is a small part of a large socket chunk is copied before it
   * is queued for another connection, so a queued 30-byte frame cannot keep a
   * 64 KB chunk alive: queued bytes stay within twice what is accounted.
   */
  private own(frame: Buffer): Buffer {
    if (frame.buffer.byteLength <= 2 * frame.length) return frame;
    const copy = Buffer.allocUnsafeSlow(frame.length);
    frame.copy(copy);
    return copy;
  }

  /** Writes are corked and flushed once per tick: many small frames leave in one writev. */
  private write(c: Conn, buf: Buffer): void {
    if (c.closed) return;
    if (!c.corked) {
      c.corked = true;
      c.socket.cork();
      this.corkedConns.push(c);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        process.nextTick(this.flush);
      }
    }
    c.socket.write(buf);
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    const list = this.corkedConns.splice(0);
    for (const c of list) {
      c.corked = false;
      c.socket.uncork();
    }
  };

  private nack(c: Conn, seq: number, code: ErrorCode, message: string): void {
    this.write(c, encodeJson({ kind: Kind.nack, seq: 0, ack: seq, to: ADDR_NONE, from: ADDR_MASTER, topic: '' }, errorBody(code, message)));
  }

  private errorFrame(ack: number, from: number, code: ErrorCode, message: string): Buffer {
    return this.encodeError(ack, from, errorBody(code, message));
  }

  private encodeError(ack: number, from: number, body: string): Buffer {
    return encodeJson({ kind: Kind.error, seq: 0, ack, to: ADDR_NONE, from, topic: '' }, body, Infinity);
  }

  /** The master's reply; a value it cannot send becomes an error reply instead. */
  private replyFrame(ack: number, to: number, value: unknown): Buffer {
    try {
      return encodeFrame({ kind: Kind.reply, seq: 0, ack, to, from: ADDR_MASTER, topic: '' }, value, this.serialization, this.maxMessageBytes);
    } catch (err) {
      const e = err as DroverError;
      return this.errorFrame(ack, ADDR_MASTER, e.code ?? 'DROVER_E_MSG_SERIALIZE', `the master's reply could not be sent: ${e.message}`);
    }
  }

  // ── abuse ────────────────────────────────────────────────────────────────

  private who(c: Conn): string {
    return c.reg ? `${describeAddress(c.addr)} (wid ${c.reg.wid})` : 'an unauthenticated connection';
  }

  /** A protocol violation: logged (rate-limited), one strike; fatal ones close the connection. */
  private violation(c: Conn, what: string, fatal: boolean, code: ErrorCode = 'DROVER_E_MSG_INVALID'): void {
    const wid = c.reg?.wid;
    this.offense(wid, `msg:${wid}:abuse`, `${this.who(c)} ${what}${fatal ? ': connection closed' : ''}`, { event: 'message-abuse' });
    if (wid !== undefined) this.strike(wid, what);
    if (fatal) this.fatal(c, code, what);
  }

  /** Logs an offender at most once a second per key, with the count of what was not logged. */
  private offense(wid: number | undefined, key: string, message: string, details: Record<string, unknown>): void {
    if (!this.log) return;
    const now = performance.now();
    const last = this.lastLog.get(key);
    if (last && now - last.at < 1000) {
      last.suppressed++;
      return;
    }
    const suppressed = last?.suppressed ?? 0;
    this.lastLog.set(key, { at: now, suppressed: 0 });
    this.log.warn({ event: 'message-abuse', wid, ...details, suppressed }, suppressed > 0 ? `${message} (and ${suppressed} similar since the last report)` : message);
  }

  /** Counts a strike; enough within the window and the hub asks for the worker to be replaced (once). */
  strike(wid: number, reason: string): void {
    if (this.abused.has(wid) || this.closed) return;
    const now = performance.now();
    const list = (this.strikes.get(wid) ?? []).filter((t) => now - t < this.abuseWindowMs);
    list.push(now);
    this.strikes.set(wid, list);
    if (list.length < this.abuseStrikes) return;
    this.abused.add(wid);
    const token = this.tokenByWid.get(wid);
    const reg = token === undefined ? undefined : this.registrations.get(token);
    const slot = reg?.slot ?? -1;
    this.log?.error(
      { event: 'message-abuse-restart', wid, slot, reason, strikes: list.length },
      `${reg?.role === 'agent' ? 'the agent' : `worker ${slot}`} (wid ${wid}) abused the message channels ${list.length} times within ${this.abuseWindowMs} ms (last: ${reason}): replacing it`,
    );
    this.emit('abuse', { wid, slot, reason, strikes: list.length } satisfies AbuseEvent);
  }
}

function isThenable(x: unknown): x is PromiseLike<unknown> {
  return typeof x === 'object' && x !== null && typeof (x as { then?: unknown }).then === 'function';
}

function noRoute(addr: number): string {
  if (addr === ADDR_AGENT) return 'no agent is connected to the message hub: the app runs no agent, or it has not started (or not used messaging) yet';
  return `${describeAddress(addr)} is not connected to the message hub: no such worker is running, or it has not made a messaging call yet (a worker connects on its first send/request/on/handle/publish)`;
}
