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
import type net from 'node:net';
import { monotonicMs } from '../platform/clock.js';
import { DroverError, type ErrorCode } from '../errors.js';
import type { Logger } from '../logs/line-logger.js';
import { ADDR_AGENT, ADDR_MASTER, ADDR_NONE, describeAddress, kindBits, readEnvelope, type Envelope } from './envelope.js';
import { errorBody, type Messenger } from './endpoint.js';
import { readInto } from './accepted-onread.js';
import { FrameReader, ownCopy } from './frame-reader.js';
import { FLAG_JSON, FLAG_PAYLOAD, FLAG_TEXT, FrameTooLargeError, HEADER_BYTES, Kind, MAX_TOPIC_BYTES, encodeEmpty, encodeJson, type Serialization } from './frame.js';
import { AUTH_TIMEOUT_MS, MAX_UNAUTHENTICATED, MAX_WAITING_PER_ADDRESS, type HubAuth } from './hub-auth.js';
import { HubFront } from './hub-front.js';
import { HubFlow } from './hub-flow.js';
import { HubRouter } from './hub-router.js';
import { ConnTable } from './hub-table.js';
import type { IpcGuard } from './ipc-guard.js';
import { RouteTable } from './route-table.js';
import { errorFrame, noRoute, type Conn, type Role } from './hub-conn.js';
import { MasterEndpoint, type MasterMessenger, type StateHandler } from './master-endpoint.js';
import { TokenBucket } from './token-bucket.js';
import { PendingRequests } from './rpc.js';
import { DeadlineWheel } from './deadline-wheel.js';

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

const FROM_PEER_BEFORE_AUTH = kindBits(Kind.hello);
const FROM_PEER = kindBits(Kind.send, Kind.request, Kind.reply, Kind.error, Kind.sub, Kind.unsub, Kind.publish, Kind.state);
const HELLO_MAX_BYTES = HEADER_BYTES + MAX_TOPIC_BYTES;

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

/**
 * The hub: its socket and lifecycle, connections (accept, hello, drop), and
 * reading each connection's frames in order. Who may connect is hub-auth.ts,
 * where connections are hub-table.ts, flow control hub-flow.ts, routing
 * hub-router.ts, the master's own end master-endpoint.ts. What exists from
 * the master's start (the socket, tokens, IPC guard, strikes) is hub-front.ts,
 * which loads this module when it is first needed.
 */
export class MessageHub {
  /** send/request/handle/on/publish for the master itself (and sendNow for drover's own pushes). */
  readonly api: MasterMessenger;
  readonly counts: MessageCounts;
  readonly serialization: Serialization;
  private readonly maxMessageBytes: number;
  private readonly maxQueueBytes: number;
  private readonly rateLimit: number;
  private readonly requestTimeoutMs: number;
  private readonly log: Logger | undefined;

  private readonly auth: HubAuth;
  private readonly table = new ConnTable();
  private readonly conns = new Set<Conn>();
  /** Every connection's reads land here, one at a time (accepted-onread.ts, onRead). */
  private readonly readBuffer = Buffer.allocUnsafeSlow(64 * 1024);
  private nextConnId = 1;

  private readonly master: MasterEndpoint;
  private readonly rpc: PendingRequests<Conn | undefined>;
  private readonly routes = new RouteTable<Conn>();
  private readonly flow: HubFlow;
  private readonly router: HubRouter;

  readonly ipc: IpcGuard;

  /** front: the part made at the master's start that loaded this hub (hub-front.ts); options are the front's. */
  constructor(
    options: HubOptions = {},
    private readonly front = new HubFront(options),
  ) {
    this.counts = front.counts;
    this.serialization = front.serialization;
    this.maxMessageBytes = front.maxMessageBytes;
    this.maxQueueBytes = front.maxQueueBytes;
    const overflow = options.overflow ?? 'wait';
    this.rateLimit = options.rateLimit ?? 50_000;
    const maxPendingRequests = options.maxPendingRequests ?? 10_000;
    this.requestTimeoutMs = front.requestTimeoutMs;
    this.log = front.log;
    this.auth = front.auth;
    this.ipc = front.ipc;
    this.rpc = new PendingRequests<Conn | undefined>(new DeadlineWheel());
    this.flow = new HubFlow(
      { maxQueueBytes: this.maxQueueBytes, rateLimit: this.rateLimit },
      {
        pump: (c) => this.pump(c),
        flood: (c) => {
          this.offense(c.reg?.wid, `msg:${c.reg?.wid}:flood`, `${this.who(c)} sends more than ${this.rateLimit} messages/s: throttled`, { event: 'message-flood' });
          if (c.reg) this.strike(c.reg.wid, `message flood (more than ${this.rateLimit}/s)`);
        },
      },
    );
    this.master = new MasterEndpoint(
      {
        serialization: this.serialization,
        maxMessageBytes: this.maxMessageBytes,
        maxQueueBytes: this.maxQueueBytes,
        overflow,
        requestTimeoutMs: this.requestTimeoutMs,
        maxPendingRequests,
        log: this.log,
        local: front.local,
      },
      {
        rpc: this.rpc,
        write: (c, frame) => this.flow.write(c, frame),
        writeNow: (c, frame) => this.flow.writeNow(c, frame),
        full: (c) => this.flow.full(c),
        block: (c) => this.flow.block(c),
        unblock: (c) => this.flow.unblock(c),
        nack: (c, seq, code, message) => this.nack(c, seq, code, message),
        violation: (c, what) => this.violation(c, what, false),
        subscribers: (topic) => this.table.subscribers(topic) ?? [],
        target: (addr) => this.table.target(addr),
        connected: (addr, boundMs) => this.connected(addr, boundMs),
        nextRouteSeq: () => this.nextRouteSeq(),
      },
    );
    this.router = new HubRouter({ overflow, maxQueueBytes: this.maxQueueBytes, maxPendingRequests, rateLimit: this.rateLimit }, this.table, this.flow, this.routes, this.rpc, this.master, {
      noRouteYet: (c, addr, boundMs) => this.noRouteYet(c, addr, boundMs),
      nack: (c, seq, code, message) => this.nack(c, seq, code, message),
      violation: (c, what, fatal) => this.violation(c, what, fatal),
      addRoute: (origin, originSeq, target, topic, timeoutMs) => this.addRoute(origin, originSeq, target, topic, timeoutMs),
    });
    const api = this.master.api;
    const counts = this.counts;
    // The master's own messages count as they leave (a request's reply when it comes back through route()).
    this.api = {
      ...api,
      send: (to, topic, payload) => (counts.send++, api.send(to, topic, payload)),
      sendNow: (to, topic, payload) => (counts.send++, api.sendNow(to, topic, payload)),
      request: (to, topic, payload, options) => (counts.request++, api.request(to, topic, payload, options)),
      publish: (topic, payload) => (counts.publish++, api.publish(topic, payload)),
    };
    front.attach(this);
  }

  /** The shared state store's handler of state frames (master-endpoint.ts answerState). */
  handleState(fn: StateHandler): () => void {
    return this.master.handleState(fn);
  }

  // ── lifecycle (called by the supervisor) ────────────────────────────────

  /** Registers a process about to be started; returns the variables to add to its environment (hub-front.ts). */
  env(wid: number, slot: number, role: Role = 'worker'): Record<string, string> {
    return this.front.env(wid, slot, role);
  }

  /** The process exited: its token stops working, and requests waiting on it are rejected now. */
  workerGone(wid: number): void {
    this.auth.forget(wid, this.table.hasWid(wid));
    const conn = this.table.ofWid(wid);
    if (conn) this.drop(conn);
    this.front.abuse.forget(wid);
    this.ipc.forget(wid);
  }

  /** The supervisor saw the process ready (or the agent): calls waiting for it to connect get CONNECT_GRACE_MS from now. */
  ready(wid: number): void {
    this.front.ready(wid);
  }

  close(): void {
    this.front.close();
  }

  /** The front is closing (hub-front.ts close): every connection and pending request ends. */
  dropAll(): void {
    for (const c of [...this.conns]) this.drop(c);
    this.rpc.rejectAll((info) => new DroverError('DROVER_E_MSG_DISCONNECTED', `${info.what} failed: the supervisor stopped`));
    this.routes.close();
  }

  /** For tests and diagnostics. */
  stats(): { connections: number; routes: number; pendingMasterRequests: number; queuedBytes: number } {
    let queuedBytes = 0;
    for (const c of this.conns) queuedBytes += c.socket.writableLength + c.reader.bufferedBytes;
    return { connections: this.conns.size, routes: this.routes.size, pendingMasterRequests: this.rpc.size, queuedBytes };
  }

  get path(): string | undefined {
    return this.front.path;
  }

  /** Connections waiting to say hello (diagnostics, tests). */
  get unauthenticated(): number {
    return this.auth.unauthenticated.size;
  }

  private get closed(): boolean {
    return this.front.closed;
  }

  // ── connections ──────────────────────────────────────────────────────────

  /** A connection to the front's socket. */
  accept(socket: net.Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    if (this.auth.unauthenticated.size >= MAX_UNAUTHENTICATED) {
      const oldest = this.auth.unauthenticated.values().next().value!;
      this.offense(undefined, 'auth-evict', `more than ${MAX_UNAUTHENTICATED} connections to the message hub are waiting to say hello: the oldest was closed`, {});
      this.drop(oldest);
    }
    const c: Conn = {
      id: this.nextConnId++,
      socket,
      // Frames in the hub's read buffer, and frames cut by a read's end (assembled in the reader's kept buffer: every
      // 64 KB message), are not owned: pump() copies them unless they are decoded at once.
      reader: new FrameReader(HELLO_MAX_BYTES, true),
      reg: undefined,
      addr: ADDR_NONE,
      subs: new Set(),
      closed: false,
      held: undefined,
      heldUnpaid: false,
      blocked: false,
      pumping: false,
      corked: false,
      serialisedCorked: 0,
      bucket: this.rateLimit > 0 ? new TokenBucket(this.rateLimit) : undefined,
      ackSeq: 0,
      masterInflight: 0,
      waitingForMasterSlot: false,
      originRoutes: new Set(),
      targetRoutes: new Set(),
      drainWaiters: new Set(),
      masterWaiting: 0,
      authTimer: undefined,
      noRouteSince: undefined,
      resume: () => this.flow.unblock(c),
    };
    this.auth.unauthenticated.add(c);
    c.authTimer = setTimeout(() => this.drop(c), AUTH_TIMEOUT_MS);
    c.authTimer.unref();
    this.conns.add(c);
    // Reads land in the hub's one read buffer (accepted-onread.ts); 'data' chunks where this Node cannot.
    const into = readInto(socket, this.readBuffer, (nread) => this.onRead(c, this.readBuffer, nread, true));
    if (into === undefined) socket.on('data', (chunk: Buffer) => this.onRead(c, chunk, chunk.length, false));
    else if (into.pending) this.onRead(c, into.pending, into.pending.length, false);
    socket.on('drain', () => this.flow.drained(c));
    socket.on('error', (err) => this.log?.debug({ event: 'message-connection-error', wid: c.reg?.wid, err: err.message }, 'message connection error'));
    socket.on('close', () => this.drop(c));
  }

  private authenticate(c: Conn, env: Envelope): void {
    const reg = this.auth.byToken(env.topic);
    if (!reg) {
      this.offense(undefined, 'auth', 'a connection to the message hub presented an unknown token', {});
      return this.fatal(c, 'DROVER_E_MSG_INVALID', 'unknown token: this process was not started by this supervisor, or it has exited');
    }
    if (this.table.hasWid(reg.wid)) {
      // One connection per process: a copied token cannot take over a live worker's connection.
      // Closed without a fatal reason, so a port that raced its own reconnect simply retries.
      this.offense(reg.wid, `msg:${reg.wid}:token`, `a second connection presented the token of worker ${reg.slot} (wid ${reg.wid}) while its first is open: refused`, {});
      this.drop(c);
      return;
    }
    clearTimeout(c.authTimer);
    c.authTimer = undefined;
    this.auth.unauthenticated.delete(c);
    c.reg = reg;
    c.addr = reg.role === 'agent' ? ADDR_AGENT : reg.slot;
    c.reader.maxFrameBytes = HEADER_BYTES + MAX_TOPIC_BYTES + this.maxMessageBytes;
    this.table.attach(c);
    this.flow.write(c, encodeEmpty({ kind: Kind.welcome, seq: 0, ack: 0, to: c.addr, from: ADDR_MASTER, topic: '' }));
    this.auth.connectedAt(c.addr);
  }

  private startingFor(addr: number): number {
    return this.auth.startingFor(addr, (wid) => this.table.hasWid(wid));
  }

  /**
   * The connection at addr, waiting for a process that has started but not
   * connected yet: while it boots, and CONNECT_GRACE_MS after it is ready, at
   * most boundMs (the request's timeout; 0: the default request timeout).
   * Throws NO_ROUTE (nothing to wait for, or it exited first), TIMEOUT (boundMs
   * ran out while it was still starting), OVERFLOW (too many calls wait).
   */
  private async connected(addr: number, boundMs: number): Promise<Conn> {
    const since = monotonicMs();
    const deadline = since + (boundMs > 0 && Number.isFinite(boundMs) ? boundMs : this.requestTimeoutMs);
    for (let waited = false; ; waited = true) {
      const t = this.table.target(addr);
      if (t) return t;
      if (this.closed) throw new DroverError('DROVER_E_MSG_DISCONNECTED', `${describeAddress(addr)} cannot be reached: the supervisor stopped`);
      // The process it waited for exited first: fail now, even while its replacement starts.
      if (waited && this.auth.exitedUnconnectedSince(addr, since)) {
        throw new DroverError('DROVER_E_MSG_NO_ROUTE', `${describeAddress(addr)} exited before it connected to the message hub (it crashed or stopped while starting): the message was not delivered`);
      }
      const starting = this.startingFor(addr);
      const left = deadline - monotonicMs();
      if (starting <= 0) throw new DroverError('DROVER_E_MSG_NO_ROUTE', noRoute(addr));
      if (left <= 0) {
        throw new DroverError(
          'DROVER_E_MSG_TIMEOUT',
          `${describeAddress(addr)} is still starting and did not connect to the message hub within ${Math.round(deadline - since)} ms: the message was not delivered; raise { timeoutMs }, or wait for the worker to be ready`,
          { timeoutMs: Math.round(deadline - since) },
        );
      }
      await new Promise<void>((resolve, reject) => {
        if (!this.auth.onConnectOrTimeout(addr, Math.min(starting, left), resolve)) {
          reject(new DroverError('DROVER_E_MSG_OVERFLOW', `more than ${MAX_WAITING_PER_ADDRESS} messages wait for ${describeAddress(addr)} to connect: await some before sending more`));
        }
      });
    }
  }

  /**
   * A frame from c for addr, which has no connection: when a process for addr
   * has started (a worker's replacement, an agent still booting), reading from
   * c pauses until it connects, is ready and its grace ends, or exits, and the
   * frame is retried (false: held); otherwise true, and the caller answers
   * NO_ROUTE. Pausing keeps c's messages in order and its memory bounded (the
   * socket's buffer); it lasts the request's own timeout at most (a send's:
   * the default request timeout).
   */
  private noRouteYet(c: Conn, addr: number, boundMs: number): boolean {
    const now = monotonicMs();
    const since = (c.noRouteSince ??= now);
    const bound = boundMs > 0 && Number.isFinite(boundMs) ? boundMs : this.requestTimeoutMs;
    const waitMs = Math.min(this.startingFor(addr), since + bound - now);
    const exited = since < now && this.auth.exitedUnconnectedSince(addr, since);
    if (waitMs <= 0 || exited || this.closed || !this.auth.onConnectOrTimeout(addr, waitMs, c.resume)) {
      c.noRouteSince = undefined;
      return true;
    }
    this.flow.block(c);
    return false;
  }

  /** Forgets a connection: its waiting requests are answered with an error at once, in both directions. */
  private drop(c: Conn, destroy = true): void {
    if (c.closed) return;
    c.closed = true;
    c.held = undefined;
    c.reader.clear();
    if (c.authTimer) {
      clearTimeout(c.authTimer);
      this.auth.unauthenticated.delete(c);
    }
    this.conns.delete(c);
    this.table.detach(c);
    for (const seq of c.targetRoutes) {
      const route = this.routes.get(seq);
      if (!route) continue;
      this.routes.forget(seq, route);
      const message = `${describeAddress(c.addr)} exited or disconnected before replying to request '${route.topic}'`;
      if (!route.origin.closed) {
        this.flow.write(route.origin, errorFrame(route.originSeq, c.addr, 'DROVER_E_MSG_DISCONNECTED', message));
      }
    }
    for (const seq of c.originRoutes) {
      const route = this.routes.get(seq);
      if (route) this.routes.forget(seq, route);
    }
    // The master's own requests to c (they have no route).
    this.rpc.rejectTag(c, (info) => new DroverError('DROVER_E_MSG_DISCONNECTED', `${describeAddress(c.addr)} exited or disconnected before replying to request '${info.topic ?? '?'}'`));
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

  /**
   * One read of c: buf[0, end). reused: buf is the hub's read buffer, shared by
   * every connection (reads are handled one at a time, and what a blocked
   * connection leaves of one is copied out by release() before the next).
   */
  private onRead(c: Conn, buf: Buffer, end: number, reused: boolean): void {
    if (c.closed) return;
    c.reader.push(buf, end, reused);
    this.flow.beginRead();
    try {
      this.pump(c);
    } finally {
      c.reader.release();
      this.flow.endRead();
    }
  }

  private pump(c: Conn): void {
    if (c.pumping || c.closed) return;
    c.pumping = true;
    try {
      while (!c.blocked && !c.closed) {
        let frame = c.held;
        let unpaid = true;
        /** frame may be kept: a held frame is a copy, and so is a frame of a reused buffer that is not used up at once. */
        let owned = true;
        if (frame) {
          c.held = undefined;
          unpaid = c.heldUnpaid;
          c.heldUnpaid = false;
        } else {
          try {
            frame = c.reader.next();
          } catch (err) {
            if (err instanceof FrameTooLargeError) {
              this.violation(c, `announced a frame of ${err.bytes} bytes (limit ${err.max})`, true, 'DROVER_E_MSG_TOO_LARGE');
            } else {
              this.violation(c, `sent an unreadable frame: ${(err as Error).message}`, true);
            }
            return;
          }
          if (!frame) break;
          owned = c.reader.owned;
          if (!owned && !this.decodedAtOnce(c, frame)) {
            frame = ownCopy(frame);
            owned = true;
          }
        }
        // Replies are answers to requests the hub routed, so bounded by them: only unmatched ones are charged (in onReply).
        // A frame held for capacity (onFrame false) has paid already; one held for want of a token pays when retried.
        const kind = frame[5];
        if (unpaid && this.rateLimit > 0 && c.reg && kind !== Kind.reply && kind !== Kind.error && !this.flow.takeToken(c)) {
          c.held = owned ? frame : ownCopy(frame);
          c.heldUnpaid = true;
          break;
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
          c.held = owned ? frame : ownCopy(frame);
          break;
        }
        c.noRouteSince = undefined;
      }
    } finally {
      c.pumping = false;
    }
    if (c.ackSeq !== 0 && !c.closed) {
      this.flow.write(c, encodeEmpty({ kind: Kind.ack, seq: 0, ack: c.ackSeq, to: ADDR_NONE, from: ADDR_MASTER, topic: '' }));
      c.ackSeq = 0;
    }
  }

  /**
   * A frame that is not owned (a view of the hub's read buffer, or of the
   * reader's assembly buffer: a later read overwrites it) may stay a view only
   * if the master uses it up at once: a text, JSON or empty payload addressed
   * to the master (a send, request or state request, decoded by deliver,
   * answer, answerState; one that has to wait for a slot is copied, as every
   * held frame is) or a reply to one of its own requests (toMaster). Every
   * other frame may be forwarded to another connection or decoded into views
   * of its bytes (v8, Buffer payloads), so it is copied first.
   */
  private decodedAtOnce(c: Conn, frame: Buffer): boolean {
    if (c.reg === undefined) return true; // a hello: its token is read at once (authenticate)
    const kind = frame[5];
    const flags = frame[6]!;
    if ((flags & FLAG_PAYLOAD) !== 0 && (flags & (FLAG_TEXT | FLAG_JSON)) === 0) return false;
    if (kind === Kind.send || kind === Kind.request || kind === Kind.state) return frame.readInt32BE(16) === ADDR_MASTER;
    if (kind !== Kind.reply && kind !== Kind.error) return false;
    const ack = frame.readUInt32BE(12);
    return this.routes.get(ack) === undefined && this.rpc.tagOf(ack) === c;
  }

  /** Handles one frame; false when it must wait for capacity (the frame is held and retried). */
  private onFrame(c: Conn, frame: Buffer): boolean {
    const env = readEnvelope(frame, c.reg ? FROM_PEER : FROM_PEER_BEFORE_AUTH);
    if (typeof env === 'string') {
      this.violation(c, `sent a malformed frame: ${env}`, true);
      return true;
    }
    if (!c.reg) {
      this.authenticate(c, env);
      return true;
    }
    // Counted once handled: a frame put back (false) comes through here again.
    const handled = this.router.route(c, env, frame);
    if (handled) this.count(env.kind);
    return handled;
  }

  private count(kind: number): void {
    if (kind === Kind.send) this.counts.send++;
    else if (kind === Kind.publish) this.counts.publish++;
    else if (kind === Kind.request || kind === Kind.state) this.counts.request++;
    else if (kind === Kind.reply || kind === Kind.error) this.counts.reply++;
  }

  private nextRouteSeq(): number {
    return this.routes.nextSeq((seq) => this.rpc.has(seq));
  }

  private addRoute(origin: Conn, originSeq: number, target: Conn, topic: string, timeoutMs: number): number {
    return this.routes.add(this.nextRouteSeq(), origin, originSeq, target, topic, timeoutMs);
  }

  private nack(c: Conn, seq: number, code: ErrorCode, message: string): void {
    this.flow.write(c, encodeJson({ kind: Kind.nack, seq: 0, ack: seq, to: ADDR_NONE, from: ADDR_MASTER, topic: '' }, errorBody(code, message)));
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
    this.front.offense(wid, key, message, details);
  }

  /** Counts a strike; enough within the window and the front emits 'abuse' (once). */
  strike(wid: number, reason: string): void {
    this.front.strike(wid, reason);
  }
}
