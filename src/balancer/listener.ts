// The master's side of port sharing: one listening socket per key, accepted
// connections handed to workers over IPC.
//
// Like Node's round_robin_handle.js we take the raw handle from the listening
// TCPWrap (no net.Socket is built in the master). Unlike it, we do not wait for
// a worker's accept reply before handing it the next connection: Node's
// child_process already serialises handle sends per child on its
// NODE_HANDLE_ACK, and we close our copy of the fd as soon as it is written.
import net from 'node:net';
import type { ChildProcess } from 'node:child_process';
import { envelope, type BoundAddress, type ListenAddress } from '../protocol/messages.js';
import type { Member, Strategy } from './strategy.js';

/** The raw libuv handle of an accepted connection (TCPWrap / PipeWrap). */
interface RawHandle {
  close(cb?: () => void): void;
  getpeername?(out: Record<string, unknown>): number;
}

interface ListenServerInternals {
  _handle: { onconnection: (err: number, handle: RawHandle | undefined) => void } | null;
}

/** Connections waiting for a worker (none ready yet, or all draining). Beyond this they are closed. */
const MAX_PENDING = 4096;

export interface ListenerHooks {
  /** Called when a connection could not be delivered and was dropped. */
  onDrop(key: string, reason: string): void;
  /** Ask a worker to close n keep-alive connections gracefully (rebalancing). */
  onShed(wid: number, key: string, n: number): void;
}

/** Rebalance only when the busiest worker holds this many more connections than the idlest. */
const REBALANCE_MIN_GAP = 4;

export class Listener {
  readonly members = new Map<number, { member: Member; child: ChildProcess }>();
  private readonly pending: RawHandle[] = [];
  private readonly server = net.createServer();
  bound: BoundAddress | undefined;
  /** Total connections handed out, per worker id, for the API. */
  readonly handed = new Map<number, number>();

  constructor(
    readonly key: string,
    private readonly strategy: Strategy,
    private readonly hooks: ListenerHooks,
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
          this.distribute(client, -1);
        };
        const a = this.server.address();
        this.bound = typeof a === 'string' || a === null ? { type: 'pipe', path: address.type === 'pipe' ? address.path : String(a) } : { type: 'tcp', ...a };
        resolve(this.bound);
      });
    });
  }

  add(id: number, child: ChildProcess, weight = 1): void {
    if (this.members.has(id)) return;
    const member: Member = { id, connections: 0, elu: 0, weight, queued: 0 };
    this.members.set(id, { member, child });
    this.strategy.add(member);
    this.flush();
  }

  /** The worker reported n of the connections it was handed as closed. */
  closed(id: number, n: number): void {
    const entry = this.members.get(id);
    if (entry) entry.member.connections = Math.max(0, entry.member.connections - n);
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
    if (this.members.size < 2 || this.strategy.name === 'sticky') return;
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
    const factor = this.strategy.name === 'least-connections' || this.strategy.name === 'least-loaded' ? 1 : 2;
    for (const { member } of this.members.values()) {
      const surplus = member.connections - Math.ceil(fair);
      if (surplus > 0) this.hooks.onShed(member.id, this.key, Math.min(member.connections, surplus * factor));
    }
  }

  setLoad(id: number, elu: number): void {
    const entry = this.members.get(id);
    if (entry) entry.member.elu = elu;
  }

  remove(id: number): void {
    if (!this.members.delete(id)) return;
    this.strategy.remove(id);
  }

  /** Hands one connection to a worker; `refusedBy` is a worker that sent it back. */
  distribute(handle: RawHandle, refusedBy: number): void {
    if (refusedBy !== -1) this.remove(refusedBy);
    const remoteAddress = this.strategy.needsAddress ? peerAddress(handle) : undefined;
    for (let tries = this.members.size; tries > 0; tries--) {
      const id = this.strategy.pick({ remoteAddress });
      if (id === undefined) break;
      const entry = this.members.get(id);
      if (!entry || !entry.child.connected) {
        this.remove(id);
        continue;
      }
      this.send(entry, handle);
      return;
    }
    if (this.pending.length >= MAX_PENDING) {
      handle.close();
      this.hooks.onDrop(this.key, 'pending queue full');
      return;
    }
    this.pending.push(handle);
  }

  private send(entry: { member: Member; child: ChildProcess }, handle: RawHandle): void {
    const { member, child } = entry;
    member.connections++;
    member.queued++;
    this.handed.set(member.id, (this.handed.get(member.id) ?? 0) + 1);
    // The callback runs once the fd is written to the channel (SCM_RIGHTS): the
    // worker then holds its own reference, so ours can be closed. On a write
    // error (the worker died meanwhile) the connection goes to someone else.
    child.send(envelope({ kind: 'conn', key: this.key }), handle as unknown as net.Socket, { keepOpen: true }, (err) => {
      member.queued--;
      if (err) {
        member.connections--;
        this.distribute(handle, member.id);
      } else {
        handle.close();
      }
    });
  }

  private flush(): void {
    while (this.pending.length > 0 && this.members.size > 0) {
      this.distribute(this.pending.shift()!, -1);
    }
  }

  close(): Promise<void> {
    for (const handle of this.pending.splice(0)) handle.close();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function peerAddress(handle: RawHandle): string | undefined {
  if (!handle.getpeername) return undefined;
  const out: Record<string, unknown> = {};
  return handle.getpeername(out) === 0 && typeof out.address === 'string' ? out.address : undefined;
}
