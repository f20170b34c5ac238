// A worker whose event loop is blocked (a CPU-bound request) reports nothing,
// so the connection counts the master holds for it freeze while the others'
// keep moving: least-connections alone still sends it a share of the new
// connections (a tie, or another worker's closes not reported yet). What does
// show the block is time, and the master's own clock is the only fresh signal
// (a burning worker cannot speak):
// - stalled: a worker that runs its loop reports a hand-off within
//   HANDOFF_REPORT_GAP_MS (worker/conn-counts.ts). One that has had a hand-off
//   waiting for longer than that, plus slack for the IPC and for our own
//   loop's delay, is taken as stalled, and the load-aware strategies pass it
//   over while any other member is not. When every member is stalled (a
//   loaded machine delays every report), the one stalled for the shortest time
//   is the likeliest to be merely slow: it comes first, then the counts.
// - silent: before any hand-off waits on it, a worker burning CPU looks like
//   one that holds an open connection and sent no report lately; an idle
//   worker's count often includes closes it has not reported yet (issue 17
//   measured 0.8 connections too many per member under load), so the two tie.
//   Among members whose counts tie, the one that has held connections without
//   a report for longer goes last (Member.silentSince; a fraction below one
//   connection: it only breaks ties, never outweighs a count). An idle worker
//   just handed a connection is silent since that hand-off, a burning one
//   since the report before its burn.
import { HANDOFF_REPORT_GAP_MS } from '../../protocol/handoff.js';
import type { Member } from '../strategy.js';
import { monotonicMs } from '../../platform/clock.js';

export const STALL_SLACK_MS = 2;
export const STALL_MS = HANDOFF_REPORT_GAP_MS + STALL_SLACK_MS;
/** Added to a stalled member's cost: more than any count, so any other member wins. */
export const STALLED_COST = 2 ** 20;
/** Silence (ms) at which the tie-break term reaches one half. */
export const SILENCE_SCALE_MS = 10;

export function stalled(m: Member, now: number): boolean {
  return m.queued > 0 && now - m.quietSince > STALL_MS;
}

/**
 * What the master's clock adds to a member's load cost: STALLED_COST plus the
 * stall's age in ms for a stalled member; otherwise, for one that holds
 * connections, a tie-break in [0, 1) that grows with the time it has held them
 * without a report.
 */
export function timePenalty(m: Member, now: number): number {
  if (stalled(m, now)) return STALLED_COST + (now - m.quietSince);
  if (!(m.connections > 0)) return 0;
  const silent = now - m.silentSince;
  return silent > 0 ? silent / (silent + SILENCE_SCALE_MS) : 0;
}

export type Clock = () => number;
export const masterClock: Clock = monotonicMs;
