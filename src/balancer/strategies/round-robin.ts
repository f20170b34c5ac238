import type { Member, Strategy } from '../strategy.js';

export function roundRobin(): Strategy {
  const ids: number[] = [];
  let next = 0;
  return {
    name: 'round-robin',
    needsAddress: false,
    add(member: Member) {
      if (!ids.includes(member.id)) ids.push(member.id);
    },
    remove(id: number) {
      const i = ids.indexOf(id);
      if (i === -1) return;
      ids.splice(i, 1);
      if (i < next) next--;
    },
    pick() {
      if (ids.length === 0) return undefined;
      if (next >= ids.length) next = 0;
      return ids[next++];
    },
  };
}
