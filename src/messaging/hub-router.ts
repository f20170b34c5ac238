// Routing of an authenticated connection's frames: sends and publications to
// their subscribers, requests to their receiver (with a route, so the reply
// finds its way back), replies to their requester. The hub reads a frame's
// header only and forwards the very same bytes, with the sender's address
// (and, for requests and replies, the seq) written in.
//
// Every handler returns false when the frame must wait for capacity (a full
// receiver under overflow 'wait', a receiver that is still connecting): the
// hub holds the frame and stops reading from its sender until then, so a
// sender's messages stay in order.
import type { ErrorCode } from '../errors.js';
import { ADDR_MASTER, ADDR_WORKERS, describeAddress, type Envelope } from './envelope.js';
import { errorFromBody } from './endpoint.js';
import { Kind, decodePayload, kindName } from './frame.js';
import { errorFrame, noRoute, type Conn } from './hub-conn.js';
import type { HubFlow } from './hub-flow.js';
import { MAX_TOPICS_PER_CONNECTION, type ConnTable } from './hub-table.js';
import type { MasterEndpoint } from './master-endpoint.js';
import type { RouteTable } from './route-table.js';
import type { PendingRequests } from './rpc.js';

export interface RouterOptions {
  readonly overflow: 'wait' | 'error';
  readonly maxQueueBytes: number;
  readonly maxPendingRequests: number;
  readonly rateLimit: number;
}

/** What the router needs from the hub besides its tables. */
export interface RouterHooks {
  /** True when addr has no process starting either, or boundMs ran out (answer NO_ROUTE); false: c paused until it connects (hold the frame). */
  noRouteYet(c: Conn, addr: number, boundMs: number): boolean;
  nack(c: Conn, seq: number, code: ErrorCode, message: string): void;
  violation(c: Conn, what: string, fatal: boolean): void;
  addRoute(origin: Conn, originSeq: number, target: Conn, topic: string, timeoutMs: number): number;
}

export class HubRouter {
  constructor(
    private readonly options: RouterOptions,
    private readonly table: ConnTable,
    private readonly flow: HubFlow,
    private readonly routes: RouteTable<Conn>,
    private readonly rpc: PendingRequests<Conn | undefined>,
    private readonly master: MasterEndpoint,
    private readonly hooks: RouterHooks,
  ) {}

  /** One frame of an authenticated connection; false when it must wait for capacity (held and retried). */
  route(c: Conn, env: Envelope, frame: Buffer): boolean {
    // A peer that does not read what we send it gets nothing more read from it.
    if (this.flow.full(c)) return this.flow.waitForDrain(c, c);
    switch (env.kind) {
      case Kind.send:
        return this.onSend(c, env, frame);
      case Kind.publish:
        return this.onPublish(c, env, frame);
      case Kind.request:
        return this.onRequest(c, env, frame);
      case Kind.state:
        if (env.to === ADDR_MASTER) return this.master.answerState(c, env, frame);
        this.hooks.violation(c, 'sent a state frame not addressed to the master', true);
        return true;
      case Kind.reply:
      case Kind.error:
        return this.onReply(c, env, frame);
      case Kind.sub:
        if (!this.table.subscribe(c, env.topic)) this.hooks.violation(c, `subscribed to more than ${MAX_TOPICS_PER_CONNECTION} topics`, false);
        return true;
      case Kind.unsub:
        this.table.unsubscribe(c, env.topic);
        return true;
      default:
        this.hooks.violation(c, `sent a ${kindName(env.kind)} frame`, true);
        return true;
    }
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
      for (const t of this.table.subscribers(env.topic) ?? []) if (t.reg?.role === 'worker') targets.push(t);
    } else {
      const t = this.table.target(env.to);
      if (!t) {
        if (!this.hooks.noRouteYet(c, env.to, 0)) return false;
        this.hooks.nack(c, env.seq, 'DROVER_E_MSG_NO_ROUTE', noRoute(env.to));
        return true;
      }
      // A receiver without a listener for the topic would drop it: save the bytes.
      targets = t.subs.has(env.topic) ? [t] : [];
    }
    return this.fanOut(c, env, frame, targets);
  }

  private onPublish(c: Conn, env: Envelope, frame: Buffer): boolean {
    const targets = [...(this.table.subscribers(env.topic) ?? [])];
    if (this.master.hasListeners(env.topic)) {
      // Capacity first: the master's listeners must not see it twice when the frame is retried.
      if (this.options.overflow === 'wait') {
        const full = targets.find((t) => this.flow.full(t));
        if (full) return this.flow.waitForDrain(full, c);
      }
      if (!this.master.deliver(c, env, frame)) return true;
    }
    return this.fanOut(c, env, frame, targets);
  }

  /** Forwards one send/publish to its receivers, all or (overflow 'wait') none until every one has room. */
  private fanOut(c: Conn, env: Envelope, frame: Buffer, targets: Conn[]): boolean {
    const skipped: Conn[] = [];
    for (const t of targets) {
      if (!this.flow.full(t)) continue;
      if (this.options.overflow === 'wait') return this.flow.waitForDrain(t, c);
      skipped.push(t);
    }
    if (targets.length > skipped.length) {
      const out = this.flow.own(frame);
      out.writeInt32BE(c.addr, 20);
      for (const t of targets) if (!skipped.includes(t)) this.flow.write(t, out);
    }
    if (skipped.length > 0) {
      const names = skipped.map((t) => describeAddress(t.addr)).join(', ');
      this.hooks.nack(
        c,
        env.seq,
        'DROVER_E_MSG_OVERFLOW',
        `${names} ${skipped.length === 1 ? 'is' : 'are'} not keeping up (${this.options.maxQueueBytes} bytes queued): the message was dropped for ${skipped.length === 1 ? 'it' : 'them'}${targets.length > skipped.length ? `, delivered to the other ${targets.length - skipped.length}` : ''}`,
      );
    } else {
      c.ackSeq = env.seq;
    }
    return true;
  }

  private onRequest(c: Conn, env: Envelope, frame: Buffer): boolean {
    if (env.to === ADDR_MASTER) return this.master.answer(c, env, frame);
    if (env.to === ADDR_WORKERS) {
      this.flow.write(c, errorFrame(env.seq, ADDR_MASTER, 'DROVER_E_MSG_INVALID', "request() needs a single receiver: 'master', 'agent' or a worker id, not 'workers'"));
      return true;
    }
    const target = this.table.target(env.to);
    if (!target) {
      if (!this.hooks.noRouteYet(c, env.to, env.ack)) return false;
      this.flow.write(c, errorFrame(env.seq, ADDR_MASTER, 'DROVER_E_MSG_NO_ROUTE', noRoute(env.to)));
      return true;
    }
    if (c.originRoutes.size >= this.options.maxPendingRequests) {
      this.flow.write(c, errorFrame(env.seq, ADDR_MASTER, 'DROVER_E_MSG_OVERFLOW', `more than ${this.options.maxPendingRequests} requests are waiting for replies: await some before sending more`));
      return true;
    }
    if (this.flow.full(target)) {
      if (this.options.overflow === 'wait') return this.flow.waitForDrain(target, c);
      this.flow.write(c, errorFrame(env.seq, ADDR_MASTER, 'DROVER_E_MSG_OVERFLOW', `${describeAddress(target.addr)} is not keeping up (${this.options.maxQueueBytes} bytes queued): request refused`));
      return true;
    }
    const seq = this.hooks.addRoute(c, env.seq, target, env.topic, env.ack);
    const out = this.flow.own(frame);
    out.writeUInt32BE(seq, 8);
    out.writeInt32BE(c.addr, 20);
    this.flow.write(target, out);
    return true;
  }

  private onReply(c: Conn, env: Envelope, frame: Buffer): boolean {
    const route = this.routes.get(env.ack);
    if (!route) {
      // One of the master's own requests: it has no route, its pending request is tagged with its receiver.
      if (this.rpc.tagOf(env.ack) === c) return this.toMaster(env, frame);
      // Late (the requester gave up): ignored, but charged, so they cannot flood.
      return this.options.rateLimit <= 0 || this.flow.takeToken(c);
    }
    // Not addressed to this connection: the same.
    if (route.target !== c) return this.options.rateLimit <= 0 || this.flow.takeToken(c);
    const origin = route.origin;
    if (origin.closed) {
      this.routes.forget(env.ack, route);
      return true;
    }
    if (this.flow.full(origin)) {
      if (this.options.overflow === 'wait') return this.flow.waitForDrain(origin, c);
      this.routes.forget(env.ack, route);
      this.flow.write(origin, errorFrame(route.originSeq, c.addr, 'DROVER_E_MSG_OVERFLOW', 'the reply was dropped: this process is not reading its messages fast enough'));
      return true;
    }
    this.routes.forget(env.ack, route);
    const out = this.flow.own(frame);
    out.writeUInt32BE(route.originSeq, 12);
    out.writeInt32BE(c.addr, 20);
    this.flow.write(origin, out);
    return true;
  }

  /** A reply to one of the master's own requests: settles its promise. */
  private toMaster(env: Envelope, frame: Buffer): boolean {
    if (env.kind === Kind.error) {
      this.rpc.reject(env.ack, errorFromBody(frame.toString('utf8', env.payloadOffset)));
      return true;
    }
    let value: unknown;
    try {
      value = decodePayload(frame, env.payloadOffset);
    } catch (err) {
      this.rpc.reject(env.ack, err as Error);
      return true;
    }
    this.rpc.resolve(env.ack, value);
    return true;
  }
}
