// The master's own end of the message hub (supervisor.messages): it sends,
// publishes and requests like any other process, and answers requests and
// receives messages addressed to 'master'. The hub gives it a narrow view of
// itself (HubCore): writing to a connection, flow control, routes.
import { monotonicMs } from '../platform/clock.js';
import type { Logger } from '../logs/line-logger.js';
import { DroverError, type ErrorCode } from '../errors.js';
import { ADDR_AGENT, ADDR_MASTER, ADDR_NONE, ADDR_WORKERS, checkTopic, decodeAddress, describeAddress, encodeAddress, type Address, type Envelope } from './envelope.js';
import { Dispatcher, HandlerThrew, callHandler, checkTimeout, errorFromBody, handlerFailureBody, isThenable, type Handler, type Listener, type Messenger, type RequestOptions } from './endpoint.js';
import { FLAG_TEXT, HEADER_BYTES, Kind, decodePayload, encodeFrame, encodeTextFrame, type Serialization } from './frame.js';
import { encodeErrorFrame, errorFrame, type Conn } from './hub-conn.js';
import type { PendingRequests, RequestInfo } from './rpc.js';

const SEQ_LIMIT = 0x1_0000_0000;

/** The master's messenger, with one call only drover's own code uses. */
export interface MasterMessenger extends Messenger {
  /**
   * send() to one process for pushes (the state store's fan-out): written in
   * this tick when the receiver is connected, listens on topic and has room
   * (undefined: done, no promise); otherwise send()'s promise. The same payload
   * (the same object) sent to several receivers in one tick is encoded once and
   * the same bytes written to each. Order between two calls to one receiver
   * holds only if the caller waits for a returned promise before the next.
   */
  sendNow(to: Address, topic: string, payload: unknown): Promise<void> | undefined;
}

export interface MasterEndpointOptions {
  readonly serialization: Serialization;
  readonly maxMessageBytes: number;
  readonly maxQueueBytes: number;
  readonly overflow: 'wait' | 'error';
  readonly requestTimeoutMs: number;
  /** Requests from one connection the master's handlers may be answering at once. */
  readonly maxPendingRequests: number;
  readonly log: Logger | undefined;
  /** The master's own handlers and listeners, when they were registered before the hub loaded (hub-front.ts). */
  readonly local?: Dispatcher;
}

/** What the endpoint may do with the hub. */
export interface HubCore {
  /** The master's requests waiting for replies, by route seq (the hub settles them when a reply arrives). */
  readonly rpc: PendingRequests<Conn | undefined>;
  write(c: Conn, frame: Buffer): void;
  /** write(), leaving at once when the connection is idle (not at the end of the tick). */
  writeNow(c: Conn, frame: Buffer): void;
  /** The connection's outgoing queue is at its bound. */
  full(c: Conn): boolean;
  /** Stops / resumes reading from a connection. */
  block(c: Conn): void;
  unblock(c: Conn): void;
  nack(c: Conn, seq: number, code: ErrorCode, message: string): void;
  /** A non-fatal protocol violation: logged, one strike. */
  violation(c: Conn, what: string): void;
  subscribers(topic: string): Iterable<Conn>;
  /** The connection of a worker id or the agent, if connected. */
  target(addr: number): Conn | undefined;
  /** The same, waiting for a process that is starting (at most boundMs; 0: the default request timeout); throws when it will not connect. */
  connected(addr: number, boundMs: number): Promise<Conn>;
  nextRouteSeq(): number;
}

/** Answers a state frame's text (src/state/master.ts): a reply text, at once or later; never throws by contract (a throw is answered as a handler failure). */
export type StateHandler = (from: number, text: string) => string | Promise<string>;

/** A pending request's description: its text is made only when an error needs it, not per request. */
class RequestTo implements RequestInfo<Conn | undefined> {
  constructor(
    readonly topic: string,
    private readonly addr: number,
    readonly timeoutMs: number,
    readonly tag: Conn,
  ) {}

  get what(): string {
    return `request '${this.topic}' to ${describeAddress(this.addr)}`;
  }
}

export class MasterEndpoint {
  readonly api: MasterMessenger;
  private readonly local: Dispatcher;
  private sendSeq = 0;
  /** sendNow()'s frame of the payload it sent last, kept until the end of the tick (its `to` says 'workers': more than one receiver). */
  private shared: { readonly topic: string; readonly payload: unknown; readonly frame: Buffer } | undefined;
  /** Made once: a push per change queues it, not a new closure. */
  private readonly unshare = (): void => {
    this.shared = undefined;
  };
  private stateHandler: StateHandler | undefined;

  constructor(
    private readonly options: MasterEndpointOptions,
    private readonly core: HubCore,
  ) {
    this.local = options.local ?? new Dispatcher();
    this.api = {
      send: (to, topic, payload) => this.masterSend(to, topic, payload),
      sendNow: (to, topic, payload) => this.sendNow(to, topic, payload),
      request: <T>(to: Address, topic: string, payload?: unknown, opts?: RequestOptions) => this.masterRequest(to, topic, payload, opts) as Promise<T>,
      handle: (topic, fn) => this.masterHandle(topic, fn),
      on: (topic, fn) => this.masterOn(topic, fn),
      publish: (topic, payload) => this.masterPublish(topic, payload),
    };
  }

  hasListeners(topic: string): boolean {
    return this.local.hasListeners(topic);
  }

  // ── the master as a receiver ─────────────────────────────────────────────

  /** Decodes a payload for the master's own listeners; false (and a nack) when it cannot be decoded. */
  deliver(c: Conn, env: Envelope, frame: Buffer): boolean {
    if (!this.local.hasListeners(env.topic)) return true;
    let payload: unknown;
    try {
      payload = decodePayload(frame, env.payloadOffset);
    } catch (err) {
      this.core.nack(c, env.seq, 'DROVER_E_MSG_SERIALIZE', (err as Error).message);
      this.core.violation(c, `sent an undecodable payload on '${env.topic}'`);
      return false;
    }
    this.local.emit(env.topic, payload, { from: decodeAddress(c.addr), topic: env.topic }, (err) => this.listenerFailed(env.topic, err));
    return true;
  }

  answer(c: Conn, env: Envelope, frame: Buffer): boolean {
    const handler = this.local.handler(env.topic);
    if (!handler) {
      this.core.write(c, errorFrame(env.seq, ADDR_MASTER, 'DROVER_E_MSG_NO_HANDLER', `the master has no handler for '${env.topic}': register one with supervisor.messages.handle('${env.topic}', fn)`));
      return true;
    }
    // Handlers may be async: bound how many run at once per connection, so a flood cannot pile up promises.
    if (c.masterInflight >= this.options.maxPendingRequests) {
      c.waitingForMasterSlot = true;
      this.core.block(c);
      return false;
    }
    let payload: unknown;
    try {
      payload = decodePayload(frame, env.payloadOffset);
    } catch (err) {
      this.core.violation(c, `sent an undecodable payload on '${env.topic}'`);
      this.core.write(c, errorFrame(env.seq, ADDR_MASTER, 'DROVER_E_MSG_SERIALIZE', (err as Error).message));
      return true;
    }
    c.masterInflight++;
    const seq = env.seq;
    const topic = env.topic;
    const out = callHandler(handler, payload, { from: decodeAddress(c.addr), topic });
    if (out instanceof HandlerThrew) this.answered(c, encodeErrorFrame(seq, ADDR_MASTER, handlerFailureBody(out.err, topic, 'the master')));
    else if (!isThenable(out)) this.answered(c, this.replyFrame(seq, c.addr, out));
    else {
      out.then(
        (value) => this.answered(c, this.replyFrame(seq, c.addr, value)),
        (err: unknown) => this.answered(c, encodeErrorFrame(seq, ADDR_MASTER, handlerFailureBody(err, topic, 'the master'))),
      );
    }
    return true;
  }

  /** A reply of a handler that ran asynchronously: its slot is free again. */
  private answered(c: Conn, reply: Buffer): void {
    c.masterInflight--;
    if (c.closed) return;
    this.core.write(c, reply);
    if (c.waitingForMasterSlot) {
      c.waitingForMasterSlot = false;
      this.core.unblock(c);
    }
  }

  /** The shared state store's handler of state frames (one; a second replaces the first). */
  handleState(fn: StateHandler): () => void {
    this.stateHandler = fn;
    return () => {
      if (this.stateHandler === fn) this.stateHandler = undefined;
    };
  }

  /**
   * A state frame: the store's reply goes out in a reply frame, in this turn
   * when the store answers at once (a local backend), with no topic lookup,
   * closure or promise per request; the same bound on answers in progress as
   * answer() when it answers later (opening the store, the redis backend).
   */
  answerState(c: Conn, env: Envelope, frame: Buffer): boolean {
    const handler = this.stateHandler;
    const seq = env.seq;
    if (!handler) {
      this.core.write(c, errorFrame(seq, ADDR_MASTER, 'DROVER_E_MSG_NO_HANDLER', 'the master has no shared state store to answer a state request'));
      return true;
    }
    if ((env.flags & FLAG_TEXT) === 0) {
      this.core.violation(c, 'sent a state frame whose payload is not text');
      this.core.write(c, errorFrame(seq, ADDR_MASTER, 'DROVER_E_MSG_SERIALIZE', 'a state request is text'));
      return true;
    }
    if (c.masterInflight >= this.options.maxPendingRequests) {
      c.waitingForMasterSlot = true;
      this.core.block(c);
      return false;
    }
    let out: string | Promise<string>;
    try {
      out = handler(c.addr, frame.toString('utf8', env.payloadOffset));
    } catch (err) {
      this.core.write(c, encodeErrorFrame(seq, ADDR_MASTER, handlerFailureBody(err, 'state', 'the master')));
      return true;
    }
    if (typeof out === 'string') {
      this.core.write(c, this.replyFrame(seq, c.addr, out, true));
      return true;
    }
    c.masterInflight++;
    out.then(
      (text) => this.answered(c, this.replyFrame(seq, c.addr, text, true)),
      (err: unknown) => this.answered(c, encodeErrorFrame(seq, ADDR_MASTER, handlerFailureBody(err, 'state', 'the master'))),
    );
    return true;
  }

  private listenerFailed(topic: string, err: unknown): void {
    this.options.log?.error({ event: 'message-listener-error', topic, err: err instanceof Error ? err.stack : String(err) }, `a master listener for '${topic}' threw: ${(err as Error)?.message ?? String(err)}`);
  }

  // ── the master as a sender (supervisor.messages) ─────────────────────────

  private async masterSend(to: Address, topic: string, payload: unknown): Promise<void> {
    const addr = encodeAddress(to);
    checkTopic(topic);
    const frame = encodeFrame({ kind: Kind.send, seq: this.nextMasterSendSeq(), ack: 0, to: addr, from: ADDR_MASTER, topic }, payload, this.options.serialization, this.options.maxMessageBytes);
    if (addr === ADDR_MASTER) return this.loopback(topic, frame);
    let targets: Conn[];
    if (addr === ADDR_WORKERS) {
      targets = [...this.core.subscribers(topic)].filter((t) => t.reg?.role === 'worker');
    } else {
      const t = await this.core.connected(addr, 0);
      targets = t.subs.has(topic) ? [t] : [];
    }
    await this.masterWrite(targets, frame, addr !== ADDR_WORKERS);
  }

  private sendNow(to: Address, topic: string, payload: unknown): Promise<void> | undefined {
    const addr = encodeAddress(to);
    const t = addr >= 0 || addr === ADDR_AGENT ? this.core.target(addr) : undefined;
    if (t === undefined || t.closed || !t.subs.has(topic) || this.core.full(t)) return this.masterSend(to, topic, payload);
    const last = this.shared;
    let frame: Buffer;
    if (last !== undefined && last.payload === payload && last.topic === topic) {
      frame = last.frame;
    } else {
      try {
        checkTopic(topic);
        frame = encodeFrame({ kind: Kind.send, seq: this.nextMasterSendSeq(), ack: 0, to: ADDR_WORKERS, from: ADDR_MASTER, topic }, payload, this.options.serialization, this.options.maxMessageBytes);
      } catch (err) {
        // As send() reports it: the caller's push path must not throw (the change it pushes is made already).
        return Promise.reject(err);
      }
      // Only for the receivers of this tick: a large batch is not kept alive after it.
      if (last === undefined) queueMicrotask(this.unshare);
      this.shared = { topic, payload, frame };
    }
    this.core.writeNow(t, frame);
    return undefined;
  }

  private async masterPublish(topic: string, payload: unknown): Promise<void> {
    checkTopic(topic);
    const frame = encodeFrame({ kind: Kind.publish, seq: this.nextMasterSendSeq(), ack: 0, to: ADDR_NONE, from: ADDR_MASTER, topic }, payload, this.options.serialization, this.options.maxMessageBytes);
    const targets = [...this.core.subscribers(topic)];
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
      if (!t.closed && this.core.full(t) && this.options.overflow === 'wait') {
        // The master's own backlog is bounded too: an app that does not await its sends gets an error, not unbounded memory.
        if (t.masterWaiting + frame.length > this.options.maxQueueBytes) {
          overflowed.push(t);
          continue;
        }
        t.masterWaiting += frame.length;
        try {
          while (!t.closed && this.core.full(t)) await new Promise<void>((resolve) => t.drainWaiters.add(resolve));
        } finally {
          t.masterWaiting -= frame.length;
        }
      }
      if (t.closed) {
        if (single) throw new DroverError('DROVER_E_MSG_DISCONNECTED', `${describeAddress(t.addr)} disconnected before the message could be delivered`);
        continue;
      }
      if (this.core.full(t)) overflowed.push(t);
      else this.core.write(t, frame);
    }
    if (overflowed.length > 0) {
      throw new DroverError(
        'DROVER_E_MSG_OVERFLOW',
        `${overflowed.map((t) => describeAddress(t.addr)).join(', ')} not keeping up (${this.options.maxQueueBytes} bytes queued${this.options.overflow === 'wait' ? ', and as many waiting' : ''}): the message was dropped for ${overflowed.length === 1 ? 'it' : 'them'}; await send() before sending more`,
      );
    }
  }

  private masterRequest(to: Address, topic: string, payload: unknown, options: RequestOptions | undefined): Promise<unknown> {
    try {
      const addr = encodeAddress(to);
      checkTopic(topic);
      const timeoutMs = checkTimeout(options, this.options.requestTimeoutMs);
      if (addr === ADDR_WORKERS) {
        throw new DroverError('DROVER_E_MSG_INVALID', "request() needs a single receiver: 'master', 'agent' or a worker id, not 'workers'");
      }
      if (addr === ADDR_MASTER) return this.requestSelf(topic, payload, timeoutMs);
      // No async hop on the common path: the frame leaves in this tick.
      const target = this.core.target(addr);
      if (target) return this.requestTo(target, addr, topic, payload, timeoutMs);
      // Waiting for a worker that is starting counts against the request's timeout.
      const since = monotonicMs();
      return this.core.connected(addr, timeoutMs).then((t) => {
        const left = timeoutMs > 0 && Number.isFinite(timeoutMs) ? Math.max(1, Math.round(timeoutMs - (monotonicMs() - since))) : timeoutMs;
        return this.requestTo(t, addr, topic, payload, left);
      });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private requestTo(target: Conn, addr: number, topic: string, payload: unknown, timeoutMs: number): Promise<unknown> {
    if (this.core.full(target) && this.options.overflow === 'error') {
      throw new DroverError('DROVER_E_MSG_OVERFLOW', `${describeAddress(addr)} is not keeping up (${this.options.maxQueueBytes} bytes queued): request refused`);
    }
    const seq = this.core.nextRouteSeq();
    const frame = encodeFrame({ kind: Kind.request, seq, ack: timeoutMs, to: addr, from: ADDR_MASTER, topic }, payload, this.options.serialization, this.options.maxMessageBytes);
    // No route: the pending request itself, tagged with its receiver, matches the reply (hub-router.ts onReply) and ends when the receiver goes.
    const reply = this.core.rpc.add(seq, new RequestTo(topic, addr, timeoutMs, target));
    if (!this.core.full(target)) {
      this.core.write(target, frame);
    } else {
      const retry = () => {
        if (target.closed) return;
        if (this.core.full(target)) target.drainWaiters.add(retry);
        else this.core.write(target, frame);
      };
      target.drainWaiters.add(retry);
    }
    return reply;
  }

  /** request('master', …) from the master: its own handler, with the same copying and errors as from afar. */
  private async requestSelf(topic: string, payload: unknown, timeoutMs: number): Promise<unknown> {
    const handler = this.local.handler(topic);
    if (!handler) throw new DroverError('DROVER_E_MSG_NO_HANDLER', `the master has no handler for '${topic}'`);
    const frame = encodeFrame({ kind: Kind.request, seq: 1, ack: 0, to: ADDR_MASTER, from: ADDR_MASTER, topic }, payload, this.options.serialization, this.options.maxMessageBytes);
    const copy = decodePayload(frame, HEADER_BYTES + frame[7]!);
    const seq = this.core.nextRouteSeq();
    const reply = this.core.rpc.add(seq, { what: `request '${topic}' to the master`, timeoutMs, tag: undefined });
    Promise.resolve()
      .then(() => handler(copy, { from: 'master', topic }))
      .then(
        (value) => {
          const out = this.replyFrame(seq, ADDR_MASTER, value);
          if (out[5] === Kind.error) this.core.rpc.reject(seq, errorFromBody(out.toString('utf8', HEADER_BYTES)));
          else this.core.rpc.resolve(seq, decodePayload(out, HEADER_BYTES));
        },
        (err) => this.core.rpc.reject(seq, errorFromBody(handlerFailureBody(err, topic, 'the master'))),
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

  private nextMasterSendSeq(): number {
    this.sendSeq = (this.sendSeq % (SEQ_LIMIT - 1)) + 1;
    return this.sendSeq;
  }

  /** The master's reply; a value it cannot send becomes an error reply instead. */
  /** A reply frame; `text`: value is a state reply's text, sent as it is (FLAG_TEXT). */
  private replyFrame(ack: number, to: number, value: unknown, text = false): Buffer {
    const f = { kind: Kind.reply, seq: 0, ack, to, from: ADDR_MASTER, topic: '' } as const;
    try {
      return text ? encodeTextFrame(f, value as string, this.options.maxMessageBytes) : encodeFrame(f, value, this.options.serialization, this.options.maxMessageBytes);
    } catch (err) {
      const e = err as DroverError;
      return errorFrame(ack, ADDR_MASTER, e.code ?? 'DROVER_E_MSG_SERIALIZE', `the master's reply could not be sent: ${e.message}`);
    }
  }
}
