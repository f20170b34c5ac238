// reuseport without losing the connections queued on a closing worker's
// socket (issue 15). When a listening socket closes, the kernel resets the
// connections in its accept queue unless net.ipv4.tcp_migrate_req=1; a
// rolling reload closes one worker socket per reload, and with a new
// connection per request that reset 56 connections in 10 reloads.
//
// So the master binds the reuseport sockets itself, one per worker slot and
// listen key (bound, never listened on or accepted from here), and hands each
// worker its slot's socket as a handle, as kernel mode does with its one
// socket. A reload's replacement takes over the same slot, so it gets the same
// socket: old and new worker accept from one queue while both run, and when
// the old one closes its descriptor the socket lives on in the master and the
// new worker; nothing queued is lost. The kernel still spreads connections
// over the slots' sockets by hash, which is what reuseport is for.
//
// A slot's socket is closed when no live worker holds it any more (a worker
// that crashed with no successor yet, a scale-down, the app's own close()):
// left open, connections hashed to it would wait for nobody. That close
// resets its queue as before: only reloads are made lossless.
//
// Needs UV_TCP_REUSEPORT in the master's Node (>= 22.12, as reuseport itself);
// the broker keeps the older path (workers bind themselves) otherwise.
import { bindHandle, canBindHandles, UV_TCP_REUSEPORT, type RawServerHandle } from '../balancer/shared-handle.js';
import { nodeHasSince, REUSEPORT_SINCE } from '../platform/node-version.cjs';
import { listenKey, type BoundAddress, type ListenAddress } from '../protocol/messages.js';

/** Whether this Node binds with SO_REUSEPORT through libuv (22.12+, 23.1+). */
export function masterCanBindReusePort(version = process.versions.node): boolean {
  return canBindHandles && nodeHasSince(REUSEPORT_SINCE, version);
}

interface SlotSocket {
  readonly handle: RawServerHandle;
  readonly address: BoundAddress;
  readonly holders: Set<number>;
}

export class ReusePortSlots {
  /** `${listenKey}#${slot}` → the slot's socket. */
  private readonly sockets = new Map<string, SlotSocket>();
  /** listenKey → the port every slot binds (a listen(0) gets one from its first bind). */
  private readonly ports = new Map<string, number>();

  bind(address: Extract<ListenAddress, { type: 'tcp' }>, slot: number, wid: number): { key: string; address: BoundAddress; handle: RawServerHandle } {
    const key = listenKey(address);
    const id = `${key}#${slot}`;
    let socket = this.sockets.get(id);
    if (!socket) {
      const { handle, address: bound } = bindHandle(address, UV_TCP_REUSEPORT, this.ports.get(key) ?? address.port);
      this.ports.set(key, bound.port);
      socket = { handle, address: bound, holders: new Set() };
      this.sockets.set(id, socket);
    }
    socket.holders.add(wid);
    return { key, address: socket.address, handle: socket.handle };
  }

  /** The worker exited (no key), or closed its server on `key`: a slot socket nobody holds is closed. */
  release(wid: number, key?: string): void {
    for (const [id, socket] of this.sockets) {
      if (key !== undefined && !id.startsWith(`${key}#`)) continue;
      if (!socket.holders.delete(wid) || socket.holders.size > 0) continue;
      socket.handle.close();
      this.sockets.delete(id);
    }
  }

  addresses(): BoundAddress[] {
    const byKey = new Map<string, BoundAddress>();
    for (const [id, s] of this.sockets) byKey.set(id.slice(0, id.lastIndexOf('#')), s.address);
    return [...byKey.values()];
  }

  closeAll(): void {
    for (const { handle } of this.sockets.values()) handle.close();
    this.sockets.clear();
  }
}
