import type { StrategyName } from '../../core/enums.js';
import type { Member, Rebalance, Strategy } from '../strategy.js';

/**
 * A strategy that picks the member with the lowest cost. The scan (O(n), no
 * allocation) starts just past the previous pick and only a strictly lower
 * cost displaces the first candidate, so members tied on the lowest cost take
 * turns instead of the first one winning every tie. Costs are read at pick
 * time from the live Member objects the listener updates; `clock` is read once
 * per pick and passed to `cost` (only strategies that weigh time supply one).
 */
export function rotating(name: StrategyName, rebalance: Rebalance, cost: (m: Member, now: number) => number, clock: () => number = () => 0): Strategy {
  const members: Member[] = [];
  let next = 0;
  return {
    name,
    needsAddress: false,
    rebalance,
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
      const now = clock();
      let best = next;
      let bestCost = cost(members[next]!, now);
      for (let k = 1; k < n; k++) {
        let i = next + k;
        if (i >= n) i -= n;
        const c = cost(members[i]!, now);
        if (c < bestCost) {
          best = i;
          bestCost = c;
        }
      }
      next = best + 1;
      return members[best]!.id;
    },
  };
}
