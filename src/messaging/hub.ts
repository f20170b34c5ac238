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
import { chmodSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DroverError, type ErrorCode } from '../errors.js';
import type { Logger } from '../logs/line-logger.js';
import { ADDR_AGENT, ADDR_MASTER, ADDR_NONE, ADDR_WORKERS, describeAddress, parseEnvelope, type Envelope } from './envelope.js';
import { DEFAULT_REQUEST_TIMEOUT_MS, errorBody, errorFromBody, type Messenger } from './endpoint.js';
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  FrameDecoder,
  FrameTooLargeError,
  HEADER_BYTES,
  Kind,
  MAX_TOPIC_BYTES,
  decodePayload,
  encodeEmpty,
  encodeJson,
  kindName,
  type Serialization,
} from './frame.js';
import { AbuseTracker } from './abuse.js';
import { createHubDir, removeHubDir } from './hub-dir.js';
import { IpcGuard } from './ipc-guard.js';
import { RouteTable } from './route-table.js';
import { errorFrame, noRoute, type Conn, type Registration, type Role } from './hub-conn.js';
import { MasterEndpoint } from './master-endpoint.js';
import { TokenBucket } from './token-bucket.js';
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

const FROM_PEER_BEFORE_AUTH = new Set<number>([Kind.hello]);
const FROM_PEER = new Set<number>([Kind.send, Kind.request, Kind.reply, Kind.error, Kind.sub, Kind.unsub, Kind.publish]);
const HELLO_MAX_BYTES = HEADER_BYTES + MAX_TOPIC_BYTES;
// When 64 connections wait for their hello, the oldest is closed to make room:
// idle connections (anyone of the same uid can open them) cannot lock workers
// out of messaging (issue 15). A connection without a hello in time is closed
// without a fatal frame: a legitimate one was only slowed by a busy master, and
// its client connects again and resends (hub-client.ts, pre-welcome.ts).
const AUTH_TIMEOUT_MS = 5_000;
const MAX_UNAUTHENTICATED = 64;
const MAX_TOPICS_PER_CONNECTION = 10_000;
/**
 * Workers connect on their first messaging call, a moment after they start:
 * the master's own send/request to a worker started this recently, and not
 * connected yet, waits for it instead of failing with "no route".
 */
const CONNECT_GRACE_MS = 3_000;

/** Messages through the master (drover_messages_total): hub frames by kind, both ways, and workers' drover IPC messages. */
export interface MessageCounts {
  send: number;
  publish: number;
  request: number;
  /** Replies and error replies. */
  reply: number;
  /** Drover's own messages from workers and the agent over Node's IPC channel (heartbeat replies, ready, …), counted by the runtime. */
  ipc: number;
}

export class MessageHub extends EventEmitter {
  /** send/request/handle/on/publish for the master itself. */
  readonly api: Messenger;
  readonly counts: MessageCounts = { send: 0, publish: 0, request: 0, reply: 0, ipc: 0 };
  readonly serialization: Serialization;
  private readonly maxMessageBytes: number;
  private readonly maxQueueBytes: number;
  private readonly overflow: 'wait' | 'error';
  private readonly rateLimit: number;
  private readonly maxPendingRequests: number;
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

  private readonly master: MasterEndpoint;
  private readonly rpc: PendingRequests<Conn | undefined>;
  private readonly routes = new RouteTable<Conn>();

  private readonly corkedConns: Conn[] = [];
  private flushScheduled = false;

  private readonly abuse: AbuseTracker;
  readonly ipc: IpcGuard;

  constructor(options: HubOptions = {}) {
    super();
    this.serialization = options.serialization ?? 'v8';
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.maxQueueBytes = options.maxQueueBytes ?? 8 * 1024 * 1024;
    this.overflow = options.overflow ?? 'wait';
    this.rateLimit = options.rateLimit ?? 50_000;
    this.maxPendingRequests = options.maxPendingRequests ?? 10_000;
    this.abuseWindowMs = options.abuseWindowMs ?? 30_000;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.log = options.log;
    this.abuse = new AbuseTracker({ log: this.log, strikes: options.abuseStrikes ?? 5, windowMs: this.abuseWindowMs });
    this.rpc = new PendingRequests<Conn | undefined>();
    this.ipc = new IpcGuard({
      ratePerSecond: options.ipcRateLimit ?? 20_000,
      // Rate-limited per worker and kind of offence, so one kind cannot hide another.
      offense: (wid, pid, what, details) => this.offense(wid, `ipc:${wid}:${String(details.kind ?? details.event)}`, `worker (wid ${wid}, pid ${pid}) ${what}`, details),
      strike: (wid, reason) => this.strike(wid, reason),
    });
    this.master = new MasterEndpoint(
      {
        serialization: this.serialization,
        maxMessageBytes: this.maxMessageBytes,
        maxQueueBytes: this.maxQueueBytes,
        overflow: this.overflow,
        requestTimeoutMs: this.requestTimeoutMs,
        maxPendingRequests: this.maxPendingRequests,
        log: this.log,
      },
      {
        rpc: this.rpc,
        write: (c, frame) => this.write(c, frame),
        full: (c) => this.full(c),
        block: (c) => this.block(c),
        unblock: (c) => this.unblock(c),
        nack: (c, seq, code, message) => this.nack(c, seq, code, message),
        violation: (c, what) => this.violation(c, what, false),
        subscribers: (topic) => this.subscribers.get(topic) ?? [],
        target: (addr) => this.target(addr),
        connected: (addr) => this.connected(addr),
        nextRouteSeq: () => this.nextRouteSeq(),
        addRoute: (target, topic, timeoutMs, seq) => this.addRoute(undefined, 0, target, topic, timeoutMs, seq),
      },
    );
    const api = this.master.api;
    const counts = this.counts;
    // The master's own messages count as they leave (a request's reply when it comes back through route()).
    this.api = {
      ...api,
      send: (to, topic, payload) => (counts.send++, api.send(to, topic, payload)),
      request: (to, topic, payload, options) => (counts.request++, api.request(to, topic, payload, options)),
      publish: (topic, payload) => (counts.publish++, api.publish(topic, payload)),
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
    this.abuse.forget(wid);
    this.ipc.forget(wid);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const c of [...this.conns]) this.drop(c);
    for (const waiters of this.connectWaiters.values()) for (const fn of waiters) fn();
    this.rpc.rejectAll((info) => new DroverError('DROVER_E_MSG_DISCONNECTED', `${info.what} failed: the supervisor stopped`));
    this.routes.close();
    this.server?.close();
    this.server = undefined;
    if (this.dir) removeHubDir(this.dir);
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
      this.dir = createHubDir();
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
      if (this.dir) removeHubDir(this.dir);
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
      bucket: this.rateLimit > 0 ? new TokenBucket(this.rateLimit) : undefined,
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
    c.authTimer = setTimeout(() => this.drop(c), AUTH_TIMEOUT_MS);
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
      this.routes.forget(seq, route);
      const message = `${describeAddress(c.addr)} exited or disconnected before replying to request '${route.topic}'`;
      if (!route.origin) {
        this.rpc.reject(seq, new DroverError('DROVER_E_MSG_DISCONNECTED', message));
      } else if (!route.origin.closed) {
        this.write(route.origin, errorFrame(route.originSeq, c.addr, 'DROVER_E_MSG_DISCONNECTED', message));
      }
    }
    for (const seq of c.originRoutes) {
      const route = this.routes.get(seq);
      if (route) this.routes.forget(seq, route);
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

  /** rateLimit frames/s (token-bucket.ts); a connection over it is paused until its next token. */
  private takeToken(c: Conn): boolean {
    if (!c.bucket || c.bucket.take()) return true;
    if (c.bucket.reportDue()) {
      this.offense(c.reg?.wid, `msg:${c.reg?.wid}:flood`, `${this.who(c)} sends more than ${this.rateLimit} messages/s: throttled`, { event: 'message-flood' });
      if (c.reg) this.strike(c.reg.wid, `message flood (more than ${this.rateLimit}/s)`);
    }
    this.block(c);
    setTimeout(() => this.unblock(c), c.bucket.waitMs()).unref();
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
      // Counted once handled: a frame put back (false) comes through here again.
      case Kind.send:
        return this.counted('send', this.onSend(c, env, frame));
      case Kind.publish:
        return this.counted('publish', this.onPublish(c, env, frame));
      case Kind.request:
        return this.counted('request', this.onRequest(c, env, frame));
      case Kind.reply:
      case Kind.error:
        return this.counted('reply', this.onReply(c, env, frame));
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

  private counted(kind: keyof MessageCounts, handled: boolean): boolean {
    if (handled) this.counts[kind]++;
    return handled;
  }

  private onSend(c: Conn, env: Envelope, frame: Buffer): boolean {
    if (env.to === ADDR_MASTER) {
      if (!this.master.deliver(c, env, frame)) return true;
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
    if (this.master.hasListeners(env.topic)) {
      // Capacity first: the master's listeners must not see it twice when the frame is retried.
      if (this.overflow === 'wait') {
        const full = targets.find((t) => this.full(t));
        if (full) return this.waitForDrain(full, c);
      }
      if (!this.master.deliver(c, env, frame)) return true;
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
    if (env.to === ADDR_MASTER) return this.master.answer(c, env, frame);
    if (env.to === ADDR_WORKERS) {
      this.write(c, errorFrame(env.seq, ADDR_MASTER, 'DROVER_E_MSG_INVALID', "request() needs a single receiver: 'master', 'agent' or a worker id, not 'workers'"));
      return true;
    }
    const target = this.target(env.to);
    if (!target) {
      if (!this.noRouteYet(c, env.to)) return false;
      this.write(c, errorFrame(env.seq, ADDR_MASTER, 'DROVER_E_MSG_NO_ROUTE', noRoute(env.to)));
      return true;
    }
    if (c.originRoutes.size >= this.maxPendingRequests) {
      this.write(c, errorFrame(env.seq, ADDR_MASTER, 'DROVER_E_MSG_OVERFLOW', `more than ${this.maxPendingRequests} requests are waiting for replies: await some before sending more`));
      return true;
    }
    if (this.full(target)) {
      if (this.overflow === 'wait') return this.waitForDrain(target, c);
      this.write(c, errorFrame(env.seq, ADDR_MASTER, 'DROVER_E_MSG_OVERFLOW', `${describeAddress(target.addr)} is not keeping up (${this.maxQueueBytes} bytes queued): request refused`));
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
      this.routes.forget(env.ack, route);
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
      this.routes.forget(env.ack, route);
      return true;
    }
    if (this.full(origin)) {
      if (this.overflow === 'wait') return this.waitForDrain(origin, c);
      this.routes.forget(env.ack, route);
      this.write(origin, errorFrame(route.originSeq, c.addr, 'DROVER_E_MSG_OVERFLOW', 'the reply was dropped: this process is not reading its messages fast enough'));
      return true;
    }
    this.routes.forget(env.ack, route);
    const out = this.own(frame);
    out.writeUInt32BE(route.originSeq, 12);
    out.writeInt32BE(c.addr, 20);
    this.write(origin, out);
    return true;
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
    return this.routes.nextSeq((seq) => this.rpc.has(seq));
  }

  private addRoute(origin: Conn | undefined, originSeq: number, target: Conn, topic: string, timeoutMs: number, seq = this.nextRouteSeq()): number {
    return this.routes.add(seq, origin, originSeq, target, topic, timeoutMs);
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

  private offense(wid: number | undefined, key: string, message: string, details: Record<string, unknown>): void {
    this.abuse.offense(wid, key, message, details);
  }

  /** Counts a strike; enough within the window and the hub asks for the worker to be replaced (once). */
  strike(wid: number, reason: string): void {
    if (this.closed) return;
    const strikes = this.abuse.strike(wid);
    if (strikes === undefined) return;
    const token = this.tokenByWid.get(wid);
    const reg = token === undefined ? undefined : this.registrations.get(token);
    const slot = reg?.slot ?? -1;
    this.log?.error(
      { event: 'message-abuse-restart', wid, slot, reason, strikes },
      `${reg?.role === 'agent' ? 'the agent' : `worker ${slot}`} (wid ${wid}) abused the message channels ${strikes} times within ${this.abuseWindowMs} ms (last: ${reason}): replacing it`,
    );
    this.emit('abuse', { wid, slot, reason, strikes } satisfies AbuseEvent);
  }

}
