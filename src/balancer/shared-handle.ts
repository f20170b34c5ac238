// Kernel balancing (Node cluster's SCHED_NONE): the master binds one socket and
// sends the same listening handle to every worker; each worker accepts from it
// directly and the kernel picks who wakes up. No master hop per connection.
// The master only binds (never listens or accepts), so a closing worker drops
// nothing: queued connections belong to the socket, which other workers keep.
import net from 'node:net';
import { getSystemErrorName } from 'node:util';
import { listenKey, type BoundAddress, type ListenAddress } from '../protocol/messages.js';

export interface RawServerHandle {
  getsockname?(out: Record<string, unknown>): number;
  close(): void;
}

type CreateServerHandle = (address: string | null, port: number, addressType: number, fd?: number, flags?: number) => RawServerHandle | number;

// net's internal used by lib/internal/cluster/shared_handle.js; its flags are tcp_wrap's.
const createServerHandle = (net as unknown as { _createServerHandle?: CreateServerHandle })._createServerHandle;
const UV_TCP_IPV6ONLY = 1;
export const UV_TCP_REUSEPORT = 2;

type TcpAddress = Extract<ListenAddress, { type: 'tcp' }>;
type TcpBound = Extract<BoundAddress, { type: 'tcp' }>;

/** Whether this Node has net's internal that binds without listening. */
export const canBindHandles = typeof createServerHandle === 'function';

/**
 * Binds `address` (never listens on or accepts from it) and returns the
 * handle with the address it got; a failed bind throws as net's does (code,
 * errno, syscall 'bind'). tcpFlags: more tcp_wrap flags (UV_TCP_REUSEPORT);
 * port: the TCP port to bind instead of the address's own.
 */
export function bindHandle(address: TcpAddress, tcpFlags?: number, port?: number): { handle: RawServerHandle; address: TcpBound };
export function bindHandle(address: ListenAddress, tcpFlags?: number, port?: number): { handle: RawServerHandle; address: BoundAddress };
export function bindHandle(address: ListenAddress, tcpFlags = 0, port = address.type === 'tcp' ? address.port : -1): { handle: RawServerHandle; address: BoundAddress } {
  const result =
    address.type === 'pipe'
      ? createServerHandle!(address.path, -1, -1)
      : createServerHandle!(address.host ?? null, port, address.host && net.isIPv4(address.host) ? 4 : 6, undefined, tcpFlags | (address.ipv6Only ? UV_TCP_IPV6ONLY : 0));
  if (typeof result === 'number') {
    const code = errnoName(result);
    throw Object.assign(new Error(`bind ${code}`), { code, errno: result, syscall: 'bind' });
  }
  if (address.type === 'pipe') return { handle: result, address: { type: 'pipe', path: address.path } };
  const out: Record<string, unknown> = {};
  result.getsockname?.(out);
  return { handle: result, address: { type: 'tcp', address: String(out.address), family: String(out.family), port: Number(out.port) } };
}

export class SharedHandles {
  private readonly handles = new Map<string, { handle: RawServerHandle; address: BoundAddress }>();

  bind(address: ListenAddress): { key: string; address: BoundAddress; handle: RawServerHandle } {
    const key = listenKey(address);
    let entry = this.handles.get(key);
    if (!entry) {
      entry = bindHandle(address);
      this.handles.set(key, entry);
    }
    return { key, ...entry };
  }

  addresses(): BoundAddress[] {
    return [...this.handles.values()].map((e) => e.address);
  }

  closeAll(): void {
    for (const { handle } of this.handles.values()) handle.close();
    this.handles.clear();
  }
}

function errnoName(errno: number): string {
  try {
    return getSystemErrorName(errno);
  } catch {
    return `E${-errno}`;
  }
}
