// What a worker's listen() asks the master for, made to mean what it means in
// plain Node.
//
// - The n-th server listening on the same (host, port) in one process gets its
//   own listening socket: two `listen(0, '127.0.0.1')` get two ports, and a
//   second listen on a fixed port fails with EADDRINUSE, as without drover.
//   Across workers the n-th servers share one socket. This is the `index` of
//   Node's lib/internal/cluster/child.js: the lowest index not in use by an
//   open server of this process, so a replacement worker's first server
//   shares the old worker's first socket. It is claimed in call order, keyed
//   by the host as the app wrote it (Node claims it after the lookup, so two
//   servers on a hostname can swap indexes between workers).
// - A hostname is resolved here, with dns.lookup as net.Server#listen does
//   (first address, any family), so every balancing mode binds an address:
//   kernel mode's shared handle cannot bind a name (bind EINVAL).
import type dns from 'node:dns';
import net from 'node:net';
import type { ListenAddress } from '../protocol/messages.js';
import { lazyBuiltin } from './lazy-builtin.js';

export class ListenSlots {
  private readonly used = new Map<string, Set<number>>();

  /**
   * The index for a new server on `address`, held until `server` closes or
   * the caller calls release() (its listen failed). No 'error' listener is
   * added: that would swallow errors an app without one must see thrown.
   */
  claim(address: ListenAddress, server: net.Server): { index: number; release: () => void } {
    const base = address.type === 'pipe' ? `pipe:${address.path}` : `tcp:${address.host ?? ''}:${address.port}`;
    let set = this.used.get(base);
    if (!set) this.used.set(base, (set = new Set()));
    let index = 0;
    while (set.has(index)) index++;
    set.add(index);
    const owned = set;
    const release = () => {
      server.off('close', release);
      owned.delete(index);
      if (owned.size === 0 && this.used.get(base) === owned) this.used.delete(base);
    };
    server.on('close', release);
    return { index, release };
  }
}

/** `address` with its host resolved to an IP address; calls back with net's lookup error as listen() would emit it. */
export function resolveHost(address: ListenAddress, cb: (err: Error | null, address: ListenAddress) => void): void {
  if (address.type !== 'tcp' || address.host === null || net.isIP(address.host) !== 0) return cb(null, address);
  // node:dns only for a hostname: most apps listen on a port or an IP, and a worker that never resolves one never loads it.
  lazyBuiltin<typeof dns>('node:dns').lookup(address.host, (err, ip) => (err ? cb(err, address) : cb(null, { ...address, host: ip })));
}
