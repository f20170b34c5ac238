// Kernel balancing (Node cluster's SCHED_NONE): the master binds one socket and
// sends the same listening handle to every worker; each worker accepts from it
// directly and the kernel picks who wakes up. No master hop per connection.
// The master only binds (never listens or accepts), so a closing worker drops
// nothing: queued connections belong to the socket, which other workers keep.
import net from 'node:net';
import { getSystemErrorName } from 'node:util';
import { listenKey, type BoundAddress, type ListenAddress } from '../protocol/messages.js';

interface RawServerHandle {
  getsockname?(out: Record<string, unknown>): number;
  close(): void;
}

type CreateServerHandle = (address: string | null, port: number, addressType: number, fd?: number, flags?: number) => RawServerHandle | number;

// net's internal used by lib/internal/cluster/shared_handle.js.
const createServerHandle = (net as unknown as { _createServerHandle: CreateServerHandle })._createServerHandle;

export class SharedHandles {
  private readonly handles = new Map<string, { handle: RawServerHandle; address: BoundAddress }>();

  bind(address: ListenAddress): { key: string; address: BoundAddress; handle: RawServerHandle } {
    const key = listenKey(address);
    let entry = this.handles.get(key);
    if (!entry) {
      const result =
        address.type === 'pipe'
          ? createServerHandle(address.path, -1, -1)
          : createServerHandle(address.host ?? null, address.port, address.host && net.isIPv4(address.host) ? 4 : 6, undefined, address.ipv6Only ? 1 : 0);
      if (typeof result === 'number') {
        const code = errnoName(result);
        throw Object.assign(new Error(`bind ${code}`), { code, errno: result, syscall: 'bind' });
      }
      let bound: BoundAddress;
      if (address.type === 'pipe') {
        bound = { type: 'pipe', path: address.path };
      } else {
        const out: Record<string, unknown> = {};
        result.getsockname?.(out);
        bound = { type: 'tcp', address: String(out.address), family: String(out.family), port: Number(out.port) };
      }
      entry = { handle: result, address: bound };
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
