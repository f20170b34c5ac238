// How soon a worker reports its connection counts (worker/conn-counts.ts),
// by balance mode. Each report is a message on the worker's IPC channel that
// wakes the master, which reads, parses and books it: with a new connection
// per request that was about one report per connection per worker at low
// rates (its `got`, then its close) and 0.4 at 2 600 connections/s, and in a
// profile under load the worker's IPC writes were its largest cost after the
// app's own (bench/scenarios/balance.js, issue 17's round-robin line).
//
// Only the load-aware strategies read the counts at their freshest
// (least-connections' counts, strategies/stalled.ts's clocks): they keep the
// 1 ms gap. For the others a report only returns hand-off credit, which
// HANDOFF_REPORT_EVERY already bounds, releases the master's copies of handed
// sockets (in-flight.ts) and updates the counts shown to users and used to
// rebalance after a crash, for which a few ms do not matter: they report at
// most every RELAXED_REPORT_GAP_MS (the gap every mode had before issue 17).
// Cost of the longer gap: a raw TCP app that destroy()s a handed socket
// without end() sends its FIN when the master closes its copy, so up to this
// much later (an HTTP server ends first: its FIN goes at once).
// DROVER_HANDOFF_REPORT_GAP_MS, when set, applies to every mode (benchmarks).
import type { Balance } from '../core/enums.js';
import { HANDOFF_REPORT_GAP_MS } from '../protocol/handoff.js';

export const RELAXED_REPORT_GAP_MS = 5;

/** Does the strategy read the counts a worker reports at their freshest? Kernel modes hand nothing off and get no reports. */
const READS_FRESH_COUNTS: Readonly<Record<Balance, boolean>> = {
  'round-robin': false,
  'least-connections': true,
  'least-loaded': true,
  sticky: false,
  weighted: false,
  kernel: false,
  reuseport: false,
};

/** The worker's report gap for `balance` (its DROVER_BALANCE); an unknown mode gets the fresh gap. */
export function reportGapMs(balance: string | undefined, override: string | undefined = process.env.DROVER_HANDOFF_REPORT_GAP_MS): number {
  if (override !== undefined && override !== '') return HANDOFF_REPORT_GAP_MS;
  const fresh = balance === undefined || !Object.hasOwn(READS_FRESH_COUNTS, balance) || READS_FRESH_COUNTS[balance as Balance];
  return fresh ? HANDOFF_REPORT_GAP_MS : RELAXED_REPORT_GAP_MS;
}
