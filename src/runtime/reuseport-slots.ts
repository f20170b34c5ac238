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
import net from 'node:net';
import { getSystemErrorName } from 'node:util';
import { nodeHasSince, REUSEPORT_SINCE } from '../platform/node-version.cjs';
import { listenKey, type BoundAddress, type ListenAddress } from '../protocol/messages.js';

interface RawServerHandle {
  getsockname?(out: Record<string, unknown>): number;
  close(): void;
}

type CreateServerHandle = (address: string | null, port: number, addressType: number, fd?: number, flags?: number) => RawServerHandle | number;
// net's internal, as balancer/shared-handle.ts uses it; its flags are tcp_wrap's (UV_TCP_IPV6ONLY 1, UV_TCP_REUSEPORT 2).
const createServerHandle = (net as unknown as { _createServerHandle?: CreateServerHandle })._createServerHandle;
const UV_TCP_IPV6ONLY = 1;
const UV_TCP_REUSEPORT = 2;

/** Whether this Node binds with SO_REUSEPORT through libuv (22.12+, 23.1+). */
export function masterCanBindReusePort(version = process.versions.node): boolean {
  return typeof createServerHandle === 'function' && nodeHasSince(REUSEPORT_SINCE, version);
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
      const port = this.ports.get(key) ?? address.port;
      const family = address.host && net.isIPv4(address.host) ? 4 : 6;
      const result = createServerHandle!(address.host ?? null, port, family, undefined, UV_TCP_REUSEPORT | (address.ipv6Only ? UV_TCP_IPV6ONLY : 0));
      if (typeof result === 'number') {
        const code = errnoName(result);
        throw Object.assign(new Error(`bind ${code}`), { code, errno: result, syscall: 'bind' });
      }
      const out: Record<string, unknown> = {};
      result.getsockname?.(out);
      const bound: BoundAddress = { type: 'tcp', address: String(out.address), family: String(out.family), port: Number(out.port) };
      this.ports.set(key, bound.port);
      socket = { handle: result, address: bound, holders: new Set() };
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

function errnoName(errno: number): string {
  try {
    return getSystemErrorName(errno);
  } catch {
    return `E${-errno}`;
  }
}
