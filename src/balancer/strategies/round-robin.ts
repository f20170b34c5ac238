import type { Strategy } from '../strategy.js';
import { rotating } from './rotating.js';

// Plain rotation, except that a worker still waiting to acknowledge its
// previous hand-off is passed over while another one is free: its next
// connection would only queue behind that acknowledgement.
export function roundRobin(): Strategy {
  return rotating('round-robin', 'double', (m) => (m.queued > 0 ? 1 : 0));
}
