import type { Strategy } from '../strategy.js';
import { rotating } from './rotating.js';

/** The member with the fewest open connections; ties take turns. */
export function leastConnections(): Strategy {
  return rotating('least-connections', 'surplus', (m) => (m.connections > 0 ? m.connections : 0));
}
