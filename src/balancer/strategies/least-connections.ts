import type { Strategy } from '../strategy.js';
import { rotating } from './rotating.js';
import { masterClock, stalled, STALLED_COST, type Clock } from './stalled.js';

/** The member with the fewest open connections, a stalled one last (stalled.ts); ties take turns. */
export function leastConnections(clock: Clock = masterClock): Strategy {
  return rotating('least-connections', 'surplus', (m, now) => (m.connections > 0 ? m.connections : 0) + (stalled(m, now) ? STALLED_COST : 0), clock);
}
