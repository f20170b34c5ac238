import type { Member, Strategy } from '../strategy.js';

interface Peer {
  member: Member;
  current: number;
}

// Smooth weighted round-robin as in nginx (ngx_http_upstream_get_peer): each
// pick adds every weight to its member's current weight, takes the largest
// (first in insertion order on ties) and subtracts the total from it. Weights
// 5,1,1 give a a b a c a a, not a a a a a b c. Weights are read live at each
// pick; a member whose weight is not a positive finite number is skipped and
// its current weight reset, so it restarts cleanly if its weight comes back.
export function weighted(): Strategy {
  const peers: Peer[] = [];
  return {
    name: 'weighted',
    needsAddress: false,
    rebalance: 'double',
    add(member: Member) {
      const p = peers.find((q) => q.member.id === member.id);
      if (p) p.member = member;
      else peers.push({ member, current: 0 });
    },
    remove(id: number) {
      const i = peers.findIndex((q) => q.member.id === id);
      if (i !== -1) peers.splice(i, 1);
    },
    pick() {
      let total = 0;
      let best: Peer | undefined;
      for (let i = 0; i < peers.length; i++) {
        const p = peers[i];
        const w = p.member.weight;
        if (!(w > 0) || w === Infinity) {
          p.current = 0;
          continue;
        }
        p.current += w;
        total += w;
        if (best === undefined || p.current > best.current) best = p;
      }
      if (best === undefined) return undefined;
      best.current -= total;
      return best.member.id;
    },
  };
}
