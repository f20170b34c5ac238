import type { Member, Strategy } from '../strategy.js';

// Scans all members once per pick (O(n), n = workers, no allocation). The scan
// starts at a cursor just past the previous pick, and only a strictly smaller
// count displaces the first candidate, so members tied on the minimum take
// turns instead of the lowest index winning every tie.
export function leastConnections(): Strategy {
  const members: Member[] = [];
  let next = 0;
  return {
    name: 'least-connections',
    needsAddress: false,
    add(member: Member) {
      const i = members.findIndex((m) => m.id === member.id);
      // Re-adding an id keeps its place in the rotation but reads the new live object.
      if (i === -1) members.push(member);
      else members[i] = member;
    },
    remove(id: number) {
      const i = members.findIndex((m) => m.id === id);
      if (i === -1) return;
      members.splice(i, 1);
      if (i < next) next--;
    },
    pick() {
      const n = members.length;
      if (n === 0) return undefined;
      if (next >= n) next = 0;
      let best = next;
      let bestCount = members[next].connections;
      for (let k = 1; k < n; k++) {
        let i = next + k;
        if (i >= n) i -= n;
        const c = members[i].connections;
        if (c < bestCount) {
          best = i;
          bestCount = c;
        }
      }
      next = best + 1;
      return members[best].id;
    },
  };
}
