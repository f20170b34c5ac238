// The master's side of port sharing (master-balanced modes): one listening
// socket per key, its accepted connections handed to workers over IPC. Who is a
// member is the core's decision (join/leave effects via runtime/listen-broker.ts);
// the two fast paths below only ever take a worker out sooner.
//
// Like Node's round_robin_handle.js we take the raw handle from the listening
// TCPWrap (no net.Socket is built in the master). Unlike it, hand-offs are
// pipelined (protocol/handoff.ts): we neither wait for a worker's accept reply
// nor for Node's per-handle ACK. Flow control is by credit instead: a worker
// reports, once per turn of its event loop, how many connections it has
// received; at most HANDOFF_WINDOW may be on the way to it. A worker whose event
// loop is busy (a CPU-bound request) therefore stops getting connections
// within a few hand-offs, and the others take them: the hand-off is
// work-conserving.
import net from 'node:net';
import type { ChildProcess } from 'node:child_process';
import { HANDOFF_WINDOW, sendHandle } from '../protocol/handoff.js';
import { envelope, type BoundAddress, type ListenAddress } from '../protocol/messages.js';
import type { Member, Strategy } from './strategy.js';
import { InFlight } from './in-flight.js';
import { flushTrace, traceDispatch, tracing } from './dispatch-trace.js';
import { headOf, readHead } from './head-reader.js';
import { extractStickyKey, type StickyKeySpec } from './sticky-key.js';
import type { StickyTable } from './sticky-table.js';
import { monotonicMs } from '../platform/clock.js';

/** Stickiness by a request attribute (the stickyKey option): what to read and who owns which key. */
export interface StickyKeys {
  readonly spec: StickyKeySpec;
  readonly table: StickyTable;
}

/** The raw libuv handle of an accepted connection (TCPWrap / PipeWrap). */
interface RawHandle {
  close(cb?: () => void): void;
  getpeername?(out: Record<string, unknown>): number;
  getsockname?(out: Record<string, unknown>): number;
}

interface ListenServerInternals {
  _handle: { onconnection: (err: number, handle: RawHandle | undefined) => void } | null;
}

/** Connections waiting for a worker (none ready yet, all draining or all busy). Beyond this they are closed. */
const MAX_PENDING = 4096;


export interface PortHooks {
  /** Called when a connection could not be delivered and was dropped. */
  onDrop(key: string, reason: string): void;
  /** Ask a worker to close n keep-alive connections gracefully (rebalancing). */
  onShed(wid: number, key: string, n: number): void;
}

/** Rebalance only when the busiest worker holds this many more connections than the idlest. */
const REBALANCE_MIN_GAP = 4;

interface Entry {
  member: Member;
  child: ChildProcess;
}

export class BalancedPort {
  readonly members = new Map<number, Entry>();
  private readonly pending: RawHandle[] = [];
  private readonly server = net.createServer();
  bound: BoundAddress | undefined;
  /** Total connections handed out, per worker id, for the API. */
  readonly handed = new Map<number, number>();
  /** The worker's cumulative reports: a lost or dropped report is corrected by the next one. */
  private readonly reported = new Map<number, { got: number; closed: number }>();
  /** Our copies of hand-offs not yet reported received, per worker (in-flight.ts). */
  private readonly inFlight = new Map<number, InFlight<RawHandle>>();

  constructor(
    readonly key: string,
    private strategy: Strategy,
    private readonly hooks: PortHooks,
    private readonly sticky: () => StickyKeys | undefined = () => undefined,
  ) {}

  open(address: ListenAddress): Promise<BoundAddress> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.once('error', onError);
      const options: net.ListenOptions =
        address.type === 'pipe' ? { path: address.path } : { port: address.port, host: address.host ?? undefined, ipv6Only: address.ipv6Only };
      this.server.listen({ ...options, exclusive: true }, () => {
        this.server.off('error', onError);
        const handle = (this.server as unknown as ListenServerInternals)._handle!;
        handle.onconnection = (err, client) => {
          if (err || !client) return;
          const sticky = this.sticky();
          if (sticky) readHead(client, sticky.spec, (h) => this.distribute(h as RawHandle, -1));
          else this.distribute(client, -1);
        };
        const a = this.server.address();
        this.bound = typeof a === 'string' || a === null ? { type: 'pipe', path: address.type === 'pipe' ? address.path : String(a) } : { type: 'tcp', ...a };
        resolve(this.bound);
      });
    });
  }

  add(id: number, child: ChildProcess, weight = 1): void {
    if (this.members.has(id)) return;
    const member: Member = { id, connections: 0, elu: 0, weight, queued: 0, quietSince: 0, silentSince: 0 };
    this.recount(member);
    this.members.set(id, { member, child });
    this.strategy.add(member);
    this.flush();
  }

  /** The worker's totals on this key: connections it received and closed so far. */
  report(id: number, got: number, closed: number): void {
    this.reported.set(id, { got, closed });
    this.inFlight.get(id)?.ack(got);
    const entry = this.members.get(id);
    if (!entry) return;
    this.recount(entry.member);
    entry.member.quietSince = entry.member.silentSince = monotonicMs();
    if (this.pending.length > 0 && entry.member.queued < HANDOFF_WINDOW) this.flush();
  }

  private recount(member: Member): void {
    const handed = this.handed.get(member.id) ?? 0;
    const r = this.reported.get(member.id);
    member.connections = Math.max(0, handed - (r?.closed ?? 0));
    member.queued = Math.max(0, handed - (r?.got ?? 0));
  }

  /** The worker is gone for good: its totals go too. */
  forget(id: number): void {
    this.remove(id);
    this.handed.delete(id);
    this.reported.delete(id);
  }

  connectionsOf(id: number): number {
    return this.members.get(id)?.member.connections ?? 0;
  }

  /**
   * After a crash, keep-alive clients reconnect at once to the survivors and
   * stay there, so a balancer that only decides at connect time never heals.
   * Workers above their fair share are asked to close the surplus gracefully;
   * under round-robin half of the reconnects land back on the same worker, so
   * twice the surplus is shed. Sticky balancing keeps clients where they are.
   */
  rebalance(): void {
    // Keyed sessions come back to their owner: shedding them would move nothing.
    if (this.members.size < 2 || this.strategy.rebalance === false || this.sticky()) return;
    let total = 0;
    let min = Infinity;
    let max = 0;
    for (const { member } of this.members.values()) {
      total += member.connections;
      min = Math.min(min, member.connections);
      max = Math.max(max, member.connections);
    }
    if (max - min < REBALANCE_MIN_GAP) return;
    const fair = total / this.members.size;
    const factor = this.strategy.rebalance === 'double' ? 2 : 1;
    for (const { member } of this.members.values()) {
      const surplus = member.connections - Math.ceil(fair);
      if (surplus > 0) this.hooks.onShed(member.id, this.key, Math.min(member.connections, surplus * factor));
    }
  }

  /** The members move to the new strategy as they are, counts and load included. */
  useStrategy(strategy: Strategy): void {
    this.strategy = strategy;
    for (const { member } of this.members.values()) strategy.add(member);
    this.flush();
  }

  setLoad(id: number, elu: number): void {
    const entry = this.members.get(id);
    if (entry) entry.member.elu = elu;
  }

  remove(id: number): void {
    if (!this.members.delete(id)) return;
    this.strategy.remove(id);
  }

  /**
   * The worker is gone and its channel was read to the end: connections handed
   * to it that it never read go to the others (in-flight.ts).
   */
  rescue(id: number): number {
    const held = this.inFlight.get(id);
    if (!held) return 0;
    this.inFlight.delete(id);
    const rescued = held.rescue();
    for (const handle of rescued) this.distribute(handle, -1);
    return rescued.length;
  }

  /** Hands one connection to a worker; `refusedBy` is a worker that sent it back. */
  distribute(handle: RawHandle, refusedBy: number): void {
    // Fast path: a worker that sends a connection back is draining; the core's
    // `leave` for it follows, but no connection should meet it meanwhile.
    if (refusedBy !== -1) {
      this.remove(refusedBy);
      this.inFlight.get(refusedBy)?.returned(handle);
    }
    const entry = this.choose(handle);
    if (entry) return this.send(entry, handle);
    if (this.pending.length >= MAX_PENDING) {
      handle.close();
      this.hooks.onDrop(this.key, 'pending queue full');
      return;
    }
    this.pending.push(handle);
  }

  private choose(handle: RawHandle): Entry | undefined {
    const sticky = this.sticky();
    const head = sticky && headOf(handle);
    const key = head ? extractStickyKey(head, sticky.spec) : undefined;
    if (key === undefined) return this.pick(handle);
    const owner = this.members.get(sticky!.table.get(key) ?? -1);
    // The owner holds the session: it gets the connection even past its
    // hand-off window (any other worker would answer "session unknown").
    if (owner?.child.connected) return owner;
    // A new key, or its worker is gone: placed as any connection, and remembered.
    const entry = this.pick(handle);
    if (entry) sticky!.table.set(key, entry.member.id);
    return entry;
  }

  private pick(handle: RawHandle): Entry | undefined {
    const remoteAddress = this.strategy.needsAddress ? peerAddress(handle) : undefined;
    for (let tries = this.members.size; tries > 0; tries--) {
      const id = this.strategy.pick({ remoteAddress });
      if (id === undefined) return undefined;
      const entry = this.members.get(id);
      if (!entry || !entry.child.connected) {
        // Fast path: a closed channel cannot take a handle (the core hears of the disconnect next).
        this.remove(id);
        continue;
      }
      if (entry.member.queued < HANDOFF_WINDOW) return entry;
      // Its event loop is behind: more would only wait there. Sticky clients
      // wait for their own worker; any other strategy takes the least behind.
      return this.strategy.needsAddress ? undefined : this.leastBehind();
    }
    return undefined;
  }

  private leastBehind(): Entry | undefined {
    let best: Entry | undefined;
    for (const entry of this.members.values()) {
      if (entry.member.queued >= HANDOFF_WINDOW || !entry.child.connected) continue;
      if (!best || entry.member.queued < best.member.queued) best = entry;
    }
    return best;
  }

  private send(entry: Entry, handle: RawHandle): void {
    const { member, child } = entry;
    if (tracing) traceDispatch(this.key, member, this.members.values());
    this.handed.set(member.id, (this.handed.get(member.id) ?? 0) + 1);
    const now = monotonicMs();
    if (member.connections <= 0) member.silentSince = now;
    member.connections++;
    if (member.queued === 0) member.quietSince = now;
    member.queued++;
    // The callback runs once the fd is written to the channel (SCM_RIGHTS): the
    // kernel then holds its own reference, so ours can be closed. On a write
    // error (the worker died meanwhile) the connection goes to someone else.
    const head = headOf(handle);
    const message = head ? { kind: 'conn' as const, key: this.key, head: head.toString('latin1') } : { kind: 'conn' as const, key: this.key };
    sendHandle(child, envelope(message), handle, (err) => {
      if (err) {
        this.handed.set(member.id, (this.handed.get(member.id) ?? 1) - 1);
        this.recount(member);
        this.distribute(handle, member.id);
      } else {
        let held = this.inFlight.get(member.id);
        if (!held) this.inFlight.set(member.id, (held = new InFlight()));
        held.push(handle);
      }
    });
  }

  /**
   * Retries waiting connections, oldest first. Without sticky, when the oldest
   * finds no worker none will; sticky ones wait for their own worker, so each
   * is tried once (distribute() queues it again at the back).
   */
  private flush(): void {
    if (this.strategy.needsAddress) {
      for (const handle of this.pending.splice(0)) this.distribute(handle, -1);
      return;
    }
    while (this.pending.length > 0) {
      const entry = this.choose(this.pending[0]!);
      if (!entry) return;
      this.send(entry, this.pending.shift()!);
    }
  }

  close(): Promise<void> {
    if (tracing) flushTrace();
    for (const handle of this.pending.splice(0)) handle.close();
    for (const held of this.inFlight.values()) held.closeAll();
    this.inFlight.clear();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function peerAddress(handle: RawHandle): string | undefined {
  if (!handle.getpeername) return undefined;
  const out: Record<string, unknown> = {};
  return handle.getpeername(out) === 0 && typeof out.address === 'string' ? out.address : undefined;
}
