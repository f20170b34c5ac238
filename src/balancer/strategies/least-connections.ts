import type { Strategy } from '../strategy.js';
import { rotating } from './rotating.js';
import { masterClock, timePenalty, type Clock } from './stalled.js';

/** The member with the fewest open connections, a stalled one last and a silent one last among equals (stalled.ts); ties take turns. */
export function leastConnections(clock: Clock = masterClock): Strategy {
  return rotating('least-connections', 'surplus', (m, now) => (m.connections > 0 ? m.connections : 0) + timePenalty(m, now), clock);
}
