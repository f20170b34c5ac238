// A worker whose event loop is blocked (a CPU-bound request) reports nothing,
// so the connection counts the master holds for it freeze while the others'
// keep moving: least-connections alone still sends it a share of the new
// connections (a tie, or another worker's closes not reported yet). What does
// show the block is time: a worker that runs its loop reports a hand-off
// within HANDOFF_REPORT_GAP_MS (worker/conn-counts.ts). One that has had a
// hand-off waiting for longer than that, plus slack for the IPC and for our
// own loop's delay, is taken as stalled, and the load-aware strategies pass
// it over while any other member is not stalled. A false positive (a slow
// pipe, the master late reading reports) costs nothing when every member is
// equally late: all are stalled and the counts decide as before.
import { HANDOFF_REPORT_GAP_MS } from '../../protocol/handoff.js';
import type { Member } from '../strategy.js';

export const STALL_SLACK_MS = 2;
export const STALL_MS = HANDOFF_REPORT_GAP_MS + STALL_SLACK_MS;
/** Added to a stalled member's cost: more than any count, so any other member wins. */
export const STALLED_COST = 2 ** 20;

export function stalled(m: Member, now: number): boolean {
  return m.queued > 0 && now - m.quietSince > STALL_MS;
}

export type Clock = () => number;
export const masterClock: Clock = () => performance.now();
