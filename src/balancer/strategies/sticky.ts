import type { Member, Strategy } from '../strategy.js';

/** Points each member places on the hash ring. */
export const VIRTUAL_NODES = 160;

// Consistent hashing of the client address: every member owns VIRTUAL_NODES
// points on a 32-bit ring, an address belongs to the first point at or after
// its hash (wrapping). Adding a member takes over only the arcs in front of
// its own points (~1/(N+1) of the addresses); removing one hands only its
// addresses to the next points. Points derive from the member id alone, so the
// same ids give the same mapping in any insertion order and in every listener.
// The ring is rebuilt on add/remove (rare); pick is a binary search, O(log n),
// allocation-free. Stickiness ignores load: a member with many clients behind
// one NAT address stays busy.
export function sticky(): Strategy {
  const ids: number[] = [];
  let points = new Uint32Array(0);
  let owners = new Float64Array(0);
  let rrNext = 0;

  const rebuild = (): void => {
    const entries: Array<[number, number]> = [];
    for (const id of ids) {
      for (let v = 0; v < VIRTUAL_NODES; v++) entries.push([hash32(`${id}#${v}`, 0), id]);
    }
    // Ties on a point go to the lower id, so the ring does not depend on insertion order.
    entries.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    points = new Uint32Array(entries.length);
    owners = new Float64Array(entries.length);
    for (let i = 0; i < entries.length; i++) {
      points[i] = entries[i][0];
      owners[i] = entries[i][1];
    }
  };

  return {
    name: 'sticky',
    needsAddress: true,
    rebalance: false,
    add(member: Member) {
      if (ids.includes(member.id)) return;
      ids.push(member.id);
      rebuild();
    },
    remove(id: number) {
      const i = ids.indexOf(id);
      if (i === -1) return;
      ids.splice(i, 1);
      if (i < rrNext) rrNext--;
      rebuild();
    },
    pick(ctx) {
      if (ids.length === 0) return undefined;
      const address = ctx.remoteAddress;
      // No address (e.g. the peer already closed, or a pipe): plain round-robin.
      if (address === undefined || address === '') {
        if (rrNext >= ids.length) rrNext = 0;
        return ids[rrNext++];
      }
      const h = hash32(address, mappedIPv4Start(address));
      let lo = 0;
      let hi = points.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (points[mid] < h) lo = mid + 1;
        else hi = mid;
      }
      return owners[lo === points.length ? 0 : lo];
    },
  };
}

// A dual-stack server reports IPv4 clients as '::ffff:a.b.c.d'; hash from the
// dotted part so one client maps the same whichever socket family it came in on.
// Returns an offset instead of slicing so pick does not allocate.
function mappedIPv4Start(address: string): number {
  if (address.length > 7 && (address.startsWith('::ffff:') || address.startsWith('::FFFF:')) && address.indexOf('.', 7) !== -1) {
    return 7;
  }
  return 0;
}

// FNV-1a over UTF-16 code units from `start`, then murmur3's fmix32 finaliser:
// FNV alone spreads short, similar keys ('3#17', '3#18') poorly over the ring.
function hash32(s: string, start: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
