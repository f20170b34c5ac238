import type { Member, Strategy } from '../strategy.js';

// Round-robin over the members, except that a worker still waiting to
// acknowledge its previous hand-off is passed over when another one is free:
// its next connection would only queue behind the acknowledgement.
export function roundRobin(): Strategy {
  const members: Member[] = [];
  let next = 0;
  return {
    name: 'round-robin',
    needsAddress: false,
    add(member: Member) {
      const i = members.findIndex((m) => m.id === member.id);
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
      let chosen = next;
      for (let k = 0; k < n; k++) {
        const i = (next + k) % n;
        if (members[i]!.queued === 0) {
          chosen = i;
          break;
        }
      }
      next = chosen + 1;
      return members[chosen]!.id;
    },
  };
}
