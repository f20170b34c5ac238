// A worker's (or the agent's) end of the message hub. Nothing happens at boot:
// the first messaging call connects, says hello with the token from the
// environment and sends straight on (the hub reads in order, so no round trip
// is spent waiting for the welcome). Writes are corked and flushed once per
// tick, so 32 requests made in one loop leave in one writev (serialised
// frames in parts of SERIALISED_PER_WRITE, flush-policy.ts).
//
// Backpressure: send() and publish() resolve when the hub acknowledges that it
// routed the message. The hub stops reading from this process while a
// receiver's queue is full, so acks stop and senders that await their sends
// slow down; a process that does not await fills its own socket buffer up to
// maxQueueBytes and then gets DROVER_E_MSG_OVERFLOW instead of unbounded memory.
import net from 'node:net';
import { DroverError } from '../errors.js';
import { ADDR_AGENT, ADDR_MASTER, ADDR_NONE, ADDR_WORKERS, checkTopic, decodeAddress, describeAddress, encodeAddress, kindBits, readEnvelope, type Address, type Envelope } from './envelope.js';
import {
  DEFAULT_REQUEST_TIMEOUT_MS,
  Dispatcher,
  checkTimeout,
  errorBody,
  errorFromBody,
  handlerFailureBody,
  HandlerThrew,
  callHandler,
  isThenable,
  type Handler,
  type Listener,
  type Messenger,
  type RequestOptions,
} from './endpoint.js';
import { DEFAULT_MAX_MESSAGE_BYTES, FLAG_JSON, FLAG_PAYLOAD, FLAG_TEXT, HEADER_BYTES, Kind, MAX_TOPIC_BYTES, decodePayload, encodeEmpty, encodeFrame, encodeJson, encodeTextFrame, type FrameAlloc, type Serialization } from './frame.js';
import { FrameReader } from './frame-reader.js';
import { SendPool } from './send-pool.js';
import { countCorked } from './flush-policy.js';
import { PendingRequests } from './rpc.js';
import { DeadlineWheel } from './deadline-wheel.js';
import { PreWelcome } from './pre-welcome.js';
import { CLIENT_KEY } from './hub-client-key.js';

export interface HubClientOptions {
  readonly socketPath: string;
  readonly token: string;
  /** This process's own address (its worker id, or ADDR_AGENT), for messages about it. */
  readonly self: number;
  readonly serialization?: Serialization;
  readonly maxMessageBytes?: number;
  readonly maxQueueBytes?: number;
  readonly requestTimeoutMs?: number;
}

const FROM_HUB = kindBits(Kind.welcome, Kind.send, Kind.request, Kind.reply, Kind.error, Kind.publish, Kind.ack, Kind.nack, Kind.fatal);

/** As large as libuv's own read suggestion: one read takes what a unix socket holds at once. */
const READ_BUFFER_BYTES = 64 * 1024;

/** Ends the tick's cork (process.nextTick with arguments: no closure per write burst). */
function uncorkTick(client: HubClient, socket: net.Socket): void {
  client.uncorked(socket);
}

interface PendingSend {
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

export class HubClient implements Messenger {
  private socket: net.Socket | undefined;
  private readonly reader: FrameReader;
  /** Every read lands here (net's onread): frames are decoded from it in place (frame-reader.ts). */
  private readonly readBuffer = Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);
  /** Reused memory for large frames (send-pool.ts): a 64 KB reply or request costs no fresh pages. */
  private readonly sendPool = new SendPool();
  /** The socket whose read is being handled: what is written meanwhile is flushed when the read ends, not at the end of the tick. */
  private reading: net.Socket | undefined;
  private readonly rpc: PendingRequests<number>;
  /** Sends and publishes waiting for the hub's ack, in seq order. */
  private readonly sends = new Map<number, PendingSend>();
  private sendSeq = 0;
  private readonly local = new Dispatcher();
  private fatalError: DroverError | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectDelayMs = 50;
  private corked: net.Socket | undefined;
  /** Serialised frames written since the cork or the last partial flush (flush-policy.ts). */
  private serialisedCorked = 0;
  private refd = false;
  /** The hub has accepted the current connection. */
  private welcomed = false;
  private readonly welcomeWaiters: Array<() => void> = [];
  /** hook (issue 15): frames of a connection not yet welcomed, written again if it closes (pre-welcome.ts). */
  private readonly preWelcome = new PreWelcome();
  private readonly mode: Serialization;
  private readonly maxMessageBytes: number;
  private readonly maxQueueBytes: number;
  private readonly requestTimeoutMs: number;
  /** This process as error messages name it ("worker 2"). */
  private readonly where: string;

  constructor(private readonly options: HubClientOptions) {
    this.where = describeAddress(options.self);
    this.mode = options.serialization ?? 'v8';
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.maxQueueBytes = options.maxQueueBytes ?? 8 * 1024 * 1024;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    // reuseAssembly: frames cut by the end of a read (every 64 KB message) are assembled in one kept buffer; onRawFrame copies what it keeps.
    this.reader = new FrameReader(HEADER_BYTES + MAX_TOPIC_BYTES + this.maxMessageBytes, true);
    this.rpc = new PendingRequests<number>(new DeadlineWheel(), () => this.updateRef());
  }

  /** From the variables the master put in this process's environment; undefined outside drover. */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): HubClient | undefined {
    const socketPath = env.DROVER_MSG_SOCKET;
    const token = env.DROVER_MSG_TOKEN;
    if (!socketPath || !token) return undefined;
    const num = (v: string | undefined) => (v && Number(v) > 0 ? Number(v) : undefined);
    return new HubClient({
      socketPath,
      token,
      self: env.DROVER_AGENT === '1' && env.DROVER_WORKER_ID === undefined ? ADDR_AGENT : Number(env.DROVER_WORKER_ID ?? 0),
      serialization: env.DROVER_MSG_SERIALIZATION === 'json' ? 'json' : 'v8',
      maxMessageBytes: num(env.DROVER_MSG_MAX_BYTES),
      maxQueueBytes: num(env.DROVER_MSG_QUEUE_BYTES),
      requestTimeoutMs: num(env.DROVER_MSG_TIMEOUT_MS),
    });
  }

  // ── the API ──────────────────────────────────────────────────────────────

  send(to: Address, topic: string, payload?: unknown): Promise<void> {
    try {
      const addr = encodeAddress(to);
      checkTopic(topic);
      return this.sendFrame(Kind.send, addr, topic, payload);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  publish(topic: string, payload?: unknown): Promise<void> {
    try {
      checkTopic(topic);
      return this.sendFrame(Kind.publish, ADDR_NONE, topic, payload);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  request<T = unknown>(to: Address, topic: string, payload?: unknown, options?: RequestOptions): Promise<T> {
    try {
      const addr = encodeAddress(to);
      checkTopic(topic);
      if (addr === ADDR_WORKERS) {
        throw new DroverError('DROVER_E_MSG_INVALID', "request() needs a single receiver: 'master', 'agent' or a worker id, not 'workers'");
      }
      const timeoutMs = checkTimeout(options, this.requestTimeoutMs);
      const seq = this.rpc.nextSeq();
      const frame = encodeFrame({ kind: Kind.request, seq, ack: timeoutMs, to: addr, from: this.options.self, topic }, payload, this.mode, this.maxMessageBytes, this.frameAlloc());
      return this.sendRequest<T>(seq, frame, `request '${topic}' to ${describeAddress(addr)}`, timeoutMs);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  handle(topic: string, fn: Handler): () => void {
    checkTopic(topic);
    this.local.setHandler(topic, fn);
    this.tryConnect();
    this.updateRef();
    return () => {
      this.local.removeHandler(topic, fn);
      this.updateRef();
    };
  }

  /**
   * A request of the shared state store (src/state/client.ts): its text in a
   * state frame to the master, the reply's text back. Rejects like request()
   * (timeout, disconnected, too large).
   */
  stateRequest(text: string, timeoutMs: number): Promise<string> {
    try {
      const seq = this.rpc.nextSeq();
      const frame = encodeTextFrame({ kind: Kind.state, seq, ack: timeoutMs, to: ADDR_MASTER, from: this.options.self, topic: '' }, text, this.maxMessageBytes, this.frameAlloc());
      return this.sendRequest<string>(seq, frame, 'a state request to the master', timeoutMs);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Writes a request frame and waits for its reply (throws, synchronously, when the queue is over its bound). */
  private sendRequest<T>(seq: number, frame: Buffer, what: string, timeoutMs: number): Promise<T> {
    const socket = this.connect();
    this.checkQueue(socket, frame.length);
    const reply = this.rpc.add<T>(seq, { what, timeoutMs, tag: 0 });
    this.write(socket, frame);
    this.updateRef();
    return reply;
  }

  on(topic: string, fn: Listener): () => void {
    checkTopic(topic);
    const open = this.socket !== undefined;
    if (this.local.addListener(topic, fn)) {
      const socket = this.tryConnect();
      // A new connection subscribes to every topic right after its hello; an open one needs the sub frame.
      if (socket && open) this.write(socket, encodeEmpty({ kind: Kind.sub, seq: 0, ack: 0, to: ADDR_NONE, from: this.options.self, topic }));
    }
    this.updateRef();
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      if (this.local.removeListener(topic, fn) && this.socket) {
        this.write(this.socket, encodeEmpty({ kind: Kind.unsub, seq: 0, ack: 0, to: ADDR_NONE, from: this.options.self, topic }));
      }
      this.updateRef();
    };
  }

  /**
   * While a connection is being set up: resolves once the hub has accepted it
   * (or it failed, or after maxWaitMs). ready() waits for this, so that a
   * worker that registered handlers at boot is reachable when it counts as ready.
   */
  connecting(maxWaitMs = 2_000): Promise<void> | undefined {
    if (!this.socket || this.welcomed) return undefined;
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, maxWaitMs);
      this.welcomeWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private settleWelcome(): void {
    for (const fn of this.welcomeWaiters.splice(0)) fn();
  }

  // ── sending ──────────────────────────────────────────────────────────────

  private sendFrame(kind: typeof Kind.send | typeof Kind.publish, to: number, topic: string, payload: unknown): Promise<void> {
    const seq = (this.sendSeq = (this.sendSeq % 0xffff_fffe) + 1);
    const frame = encodeFrame({ kind, seq, ack: 0, to, from: this.options.self, topic }, payload, this.mode, this.maxMessageBytes, this.frameAlloc());
    const socket = this.connect();
    this.checkQueue(socket, frame.length);
    const done = new Promise<void>((resolve, reject) => this.sends.set(seq, { resolve, reject }));
    this.write(socket, frame);
    this.updateRef();
    return done;
  }

  private checkQueue(socket: net.Socket, bytes: number): void {
    const queued = socket.writableLength;
    if (queued > 0 && queued + bytes > this.maxQueueBytes) {
      throw new DroverError(
        'DROVER_E_MSG_OVERFLOW',
        `${queued} bytes are already waiting to be sent (limit ${this.maxQueueBytes}): await send()/publish() before sending more; the receivers are not keeping up`,
        { queued, max: this.maxQueueBytes },
      );
    }
  }

  /**
   * Corked until the end of the tick, or of the read being handled: replies
   * to the requests of one read leave in one writev, as soon as the read is
   * done.
   */
  private write(socket: net.Socket, frame: Buffer): void {
    if (this.corked !== socket) {
      this.corked = socket;
      socket.cork();
      this.serialisedCorked = 0;
      if (this.reading !== socket) process.nextTick(uncorkTick, this, socket);
    }
    if (this.sendPool.pooled(frame)) socket.write(frame, this.sendPool.written(frame));
    else socket.write(frame);
    // A long burst of serialised frames (replies to many requests) leaves in parts, so the master starts on it (flush-policy.ts).
    this.serialisedCorked = countCorked(socket, frame, this.serialisedCorked);
    if (socket === this.socket && !this.welcomed) this.preWelcome.record(frame);
  }

  /**
   * Where the next frame's memory comes from: the pool once the connection is
   * welcomed (its frames are written at once, right after encoding); before,
   * Buffer.allocUnsafe, as frames written then are kept for a resend
   * (pre-welcome.ts) and must not be handed out again after their write.
   */
  private frameAlloc(): FrameAlloc | undefined {
    return this.socket !== undefined && this.welcomed ? this.sendPool.alloc : undefined;
  }

  /** @internal the end of a tick's cork (uncorkTick). */
  uncorked(socket: net.Socket): void {
    if (this.corked === socket) this.corked = undefined;
    socket.uncork();
  }

  // ── the connection ───────────────────────────────────────────────────────

  private connect(): net.Socket {
    if (this.socket) return this.socket;
    if (this.fatalError) throw this.fatalError;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    // onread: no 'data' events; every read lands in readBuffer and is split into frames there.
    const socket: net.Socket = net.createConnection({
      path: this.options.socketPath,
      onread: { buffer: this.readBuffer, callback: (nread: number, buf: Uint8Array) => (this.onRead(socket, nread, buf as Buffer), true) },
    });
    this.socket = socket;
    this.refd = true;
    this.welcomed = false;
    socket.on('error', (err) => {
      this.lastError = err;
    });
    socket.on('close', () => this.onClose(socket));
    this.write(socket, encodeEmpty({ kind: Kind.hello, seq: 0, ack: 0, to: ADDR_NONE, from: this.options.self, topic: this.options.token }));
    for (const topic of this.local.topics()) this.write(socket, encodeEmpty({ kind: Kind.sub, seq: 0, ack: 0, to: ADDR_NONE, from: this.options.self, topic }));
    for (const frame of this.preWelcome.begin()) this.write(socket, frame);
    return socket;
  }

  private lastError: Error | undefined;

  /** connect() for on()/handle(): a failure is not theirs to report (the next send/request reports it). */
  private tryConnect(): net.Socket | undefined {
    try {
      return this.connect();
    } catch {
      return undefined;
    }
  }

  private onClose(socket: net.Socket): void {
    if (this.socket !== socket) return;
    this.socket = undefined;
    this.reader.clear();
    // hook (issue 15): closed before the welcome: connect again and write the same frames (pre-welcome.ts).
    const retryMs = !this.welcomed && !this.fatalError ? this.preWelcome.retry() : (this.preWelcome.clear(), undefined);
    if (retryMs !== undefined) {
      clearTimeout(this.reconnectTimer);
      this.reconnectTimer = setTimeout(() => {
        this.reconnectTimer = undefined;
        if (!this.socket) this.tryConnect();
      }, retryMs);
      return;
    }
    this.settleWelcome();
    const why = this.fatalError?.message ?? (this.lastError ? `the connection to the master's message hub failed: ${this.lastError.message}` : 'the connection to the master closed');
    this.lastError = undefined;
    this.rpc.rejectAll((info) => new DroverError('DROVER_E_MSG_DISCONNECTED', `${info.what} failed: ${why}`));
    const sends = [...this.sends.values()];
    this.sends.clear();
    for (const s of sends) s.reject(new DroverError('DROVER_E_MSG_DISCONNECTED', `the message may not have been delivered: ${why}`));
    // Listeners and handlers want to stay reachable: reconnect, backing off.
    if (!this.fatalError && this.local.size > 0) {
      this.reconnectTimer = setTimeout(() => {
        this.reconnectTimer = undefined;
        if (!this.socket && this.local.size > 0) this.tryConnect();
      }, this.reconnectDelayMs);
      this.reconnectDelayMs = Math.min(this.reconnectDelayMs * 2, 5_000);
    }
  }

  /** While anything waits for the hub (a reply, an ack) or listens on it, the connection keeps the process alive. */
  private updateRef(): void {
    const socket = this.socket;
    if (!socket) return;
    const want = this.local.size > 0 || this.rpc.size > 0 || this.sends.size > 0;
    if (want === this.refd) return;
    this.refd = want;
    if (want) socket.ref();
    else socket.unref();
  }

  // ── receiving ────────────────────────────────────────────────────────────

  private onRead(socket: net.Socket, nread: number, buf: Buffer): void {
    if (this.socket !== socket) return;
    this.reading = socket;
    try {
      this.reader.read(buf, nread, (frame, owned) => this.onRawFrame(socket, frame, owned));
    } catch (err) {
      this.warn(`the message hub sent an unreadable frame (${(err as Error).message}): reconnecting`);
      socket.destroy();
    } finally {
      this.reading = undefined;
      if (this.corked === socket) {
        this.corked = undefined;
        socket.uncork();
      }
    }
    this.updateRef();
  }

  /** One frame of a read; false once the connection is gone (the rest of the read is dropped with it). */
  private onRawFrame(socket: net.Socket, frame: Buffer, owned: boolean): boolean {
    if (this.socket !== socket) return false;
    const env = readEnvelope(frame, FROM_HUB);
    if (typeof env === 'string') {
      this.warn(`ignored a malformed frame from the message hub: ${env}`);
      return true;
    }
    // A frame not owned (a view of the read buffer, or of the reader's assembly buffer) is overwritten by a later read:
    // v8 and bytes payloads may be decoded into views of it, so they get their own copy.
    const flags = env.flags;
    if (!owned && (flags & FLAG_PAYLOAD) !== 0 && (flags & (FLAG_TEXT | FLAG_JSON)) === 0) frame = Buffer.from(frame);
    this.onFrame(socket, env, frame);
    return this.socket === socket;
  }

  private onFrame(socket: net.Socket, env: Envelope, frame: Buffer): void {
    switch (env.kind) {
      case Kind.welcome:
        this.reconnectDelayMs = 50;
        this.welcomed = true;
        this.preWelcome.welcomed();
        this.settleWelcome();
        return;
      case Kind.send:
      case Kind.publish: {
        let payload: unknown;
        try {
          payload = decodePayload(frame, env.payloadOffset);
        } catch (err) {
          this.warn(`dropped a message on '${env.topic}' from ${describeAddress(env.from)}: ${(err as Error).message}`);
          return;
        }
        // A throwing listener is the app's uncaught exception, as with an EventEmitter, without losing the other messages.
        this.local.emit(env.topic, payload, { from: decodeAddress(env.from), topic: env.topic }, (err) =>
          queueMicrotask(() => {
            throw err;
          }),
        );
        return;
      }
      case Kind.request:
        return this.answer(socket, env, frame);
      case Kind.reply: {
        let value: unknown;
        try {
          value = decodePayload(frame, env.payloadOffset);
        } catch (err) {
          this.rpc.reject(env.ack, err as Error);
          return;
        }
        this.rpc.resolve(env.ack, value);
        return;
      }
      case Kind.error:
        this.rpc.reject(env.ack, errorFromBody(frame.toString('utf8', env.payloadOffset)));
        return;
      case Kind.ack:
        for (const [seq, pending] of this.sends) {
          this.sends.delete(seq);
          pending.resolve();
          if (seq === env.ack) break;
        }
        return;
      case Kind.nack: {
        const pending = this.sends.get(env.ack);
        if (!pending) return;
        this.sends.delete(env.ack);
        pending.reject(errorFromBody(frame.toString('utf8', env.payloadOffset)));
        return;
      }
      case Kind.fatal:
        this.fatalError = errorFromBody(frame.toString('utf8', env.payloadOffset));
        this.warn(this.fatalError.message);
        socket.destroy();
        return;
    }
  }

  private answer(socket: net.Socket, env: Envelope, frame: Buffer): void {
    const ack = env.seq;
    const topic = env.topic;
    const handler = this.local.handler(topic);
    if (!handler) {
      return this.replyError(socket, ack, errorBody('DROVER_E_MSG_NO_HANDLER', `${this.where} has no handler for '${topic}': register one with handle('${topic}', fn) from drover/worker`));
    }
    let payload: unknown;
    try {
      payload = decodePayload(frame, env.payloadOffset);
    } catch (err) {
      return this.replyError(socket, ack, errorBody('DROVER_E_MSG_SERIALIZE', (err as Error).message));
    }
    const out = callHandler(handler, payload, { from: decodeAddress(env.from), topic });
    if (out instanceof HandlerThrew) return this.replyError(socket, ack, handlerFailureBody(out.err, topic, this.where));
    if (!isThenable(out)) return this.replyValue(socket, ack, topic, out);
    out.then(
      (value) => this.replyValue(socket, ack, topic, value),
      (err: unknown) => this.replyError(socket, ack, handlerFailureBody(err, topic, this.where)),
    );
  }

  private replyValue(socket: net.Socket, ack: number, topic: string, value: unknown): void {
    let out: Buffer;
    try {
      out = encodeFrame({ kind: Kind.reply, seq: 0, ack, to: ADDR_NONE, from: this.options.self, topic: '' }, value, this.mode, this.maxMessageBytes, this.frameAlloc());
    } catch (err) {
      const e = err as DroverError;
      return this.replyError(socket, ack, errorBody(e.code ?? 'DROVER_E_MSG_SERIALIZE', `the reply of ${this.where} to '${topic}' could not be sent: ${e.message}`));
    }
    this.reply(socket, out);
  }

  private replyError(socket: net.Socket, ack: number, body: string): void {
    this.reply(socket, encodeJson({ kind: Kind.error, seq: 0, ack, to: ADDR_NONE, from: this.options.self, topic: '' }, body, Infinity));
  }

  /** An answer for a connection that has since closed is dropped: the hub failed that request already. */
  private reply(socket: net.Socket, out: Buffer): void {
    if (this.socket === socket) this.write(socket, out);
  }

  private warn(message: string): void {
    process.emitWarning(message, { code: 'DROVER_MESSAGING' });
  }
}

/**
 * Outside drover (plain `node app.js`) the API keeps working for this one
 * process: 'workers' and publish reach its own listeners, everything else
 * has no route. Payloads are still copied through the serialiser.
 */
export class LocalMessenger implements Messenger {
  private readonly local = new Dispatcher();

  send(to: Address, topic: string, payload?: unknown): Promise<void> {
    try {
      const addr = encodeAddress(to);
      checkTopic(topic);
      if (addr !== ADDR_WORKERS) return Promise.reject(notUnderDrover(addr));
      return this.loopback(topic, payload);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  publish(topic: string, payload?: unknown): Promise<void> {
    try {
      checkTopic(topic);
      return this.loopback(topic, payload);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  request<T = unknown>(to: Address, topic: string): Promise<T> {
    try {
      checkTopic(topic);
      return Promise.reject(notUnderDrover(encodeAddress(to)));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  handle(topic: string, fn: Handler): () => void {
    checkTopic(topic);
    this.local.setHandler(topic, fn);
    return () => this.local.removeHandler(topic, fn);
  }

  on(topic: string, fn: Listener): () => void {
    checkTopic(topic);
    this.local.addListener(topic, fn);
    return () => void this.local.removeListener(topic, fn);
  }

  private async loopback(topic: string, payload: unknown): Promise<void> {
    const frame = encodeFrame({ kind: Kind.publish, seq: 1, ack: 0, to: ADDR_NONE, from: 0, topic }, payload, 'v8');
    await Promise.resolve();
    const copy = decodePayload(frame, HEADER_BYTES + frame[7]!);
    this.local.emit(topic, copy, { from: 0, topic }, (err) =>
      queueMicrotask(() => {
        throw err;
      }),
    );
  }
}

function notUnderDrover(addr: number): DroverError {
  return new DroverError(
    'DROVER_E_MSG_NO_ROUTE',
    `cannot reach ${describeAddress(addr)}: this process was not started by drover (only 'workers' and publish work, within this process)`,
  );
}

/** The process's one messaging endpoint, shared by every copy of drover loaded into it. */
export function messenger(): Messenger {
  const g = globalThis as Record<symbol, unknown>;
  let client = g[CLIENT_KEY] as Messenger | undefined;
  if (!client) {
    client = HubClient.fromEnv() ?? new LocalMessenger();
    g[CLIENT_KEY] = client;
  }
  return client;
}
