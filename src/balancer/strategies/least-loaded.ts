import type { Member, Strategy } from '../strategy.js';
import { rotating } from './rotating.js';
import { masterClock, timePenalty, type Clock } from './stalled.js';

/**
 * How much a busy event loop inflates a member's load:
 * score = (connections + 1) * (1 + ELU_WEIGHT * elu), lowest score wins.
 * With 4, a saturated worker (elu 1) counts as five times its connection
 * count, so at equilibrium it holds about a fifth of an idle worker's share.
 */
export const ELU_WEIGHT = 4;

// Why a product and not elu alone: elu comes from heartbeats and is stale
// between them, while connections is updated on every hand-off. Ranking by elu
// alone would send every connection between two heartbeats to the same
// worker; the connections factor spreads them. The +1 keeps elu meaningful
// for idle workers (0 connections would otherwise score 0 whatever the elu).
// A stalled member (stalled.ts) comes last: its elu is a heartbeat old, the
// stall is a few ms; a silent one with connections pays a fraction of one
// connection. Ties take turns (rotating.ts).
export function leastLoaded(clock: Clock = masterClock): Strategy {
  return rotating('least-loaded', 'surplus', (m: Member, now: number): number => {
    let elu = m.elu;
    if (!(elu > 0)) elu = 0; // also NaN
    else if (elu > 1) elu = 1;
    const c = m.connections > 0 ? m.connections : 0;
    return (c + 1) * (1 + ELU_WEIGHT * elu) + timePenalty(m, now);
  }, clock);
}
