// UDP sockets shared by the workers, as Node's cluster shares them (its
// shared_handle.js): the master binds once per address, never reads, and sends
// the bound handle to every worker that binds that address; each worker reads
// from the same socket and the kernel hands each datagram to one reader. A
// listen(0)-style bind(0) gives every worker the port the first one got.
import dgram from 'node:dgram';
import type { BoundAddress, UdpAddress } from '../protocol/messages.js';
import { udpHandleOf } from '../protocol/udp-handle.js';

interface Share {
  readonly socket: dgram.Socket;
  readonly bound: Promise<BoundAddress>;
}

export class UdpShares {
  private readonly shares = new Map<string, Share>();

  private static key(a: UdpAddress): string {
    return `${a.type}:${a.host ?? ''}:${a.port}`;
  }

  /** Binds (once per address) and resolves with the bound address and the handle to send. */
  async bind(a: UdpAddress): Promise<{ address: BoundAddress; handle: unknown }> {
    const key = UdpShares.key(a);
    let share = this.shares.get(key);
    if (!share) {
      const socket = dgram.createSocket(a.type);
      const bound = new Promise<BoundAddress>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind({ port: a.port, ...(a.host ? { address: a.host } : {}), exclusive: true }, () => {
          socket.off('error', reject);
          const { address, family, port } = socket.address();
          resolve({ type: 'tcp', address, family, port });
        });
      });
      share = { socket, bound };
      this.shares.set(key, share);
      // A failed bind is forgotten, so a later bind of the address tries again.
      bound.catch(() => {
        this.shares.delete(key);
        socket.close();
      });
    }
    const address = await share.bound;
    return { address, handle: udpHandleOf(share.socket) };
  }

  closeAll(): void {
    for (const s of this.shares.values()) {
      try {
        s.socket.close();
      } catch {
        // already closed
      }
    }
    this.shares.clear();
  }
}
