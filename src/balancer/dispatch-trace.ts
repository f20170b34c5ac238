// A diagnostic: one line per hand-off with what the strategy saw of every
// member, written when DROVER_BALANCE_TRACE names a file (issue 17 asked how
// stale the counts are that least-connections picks from). The benchmark joins
// it with the app's own log of when each connection really closed and when it
// was burning CPU (bench/apps/mixed.js, MIXED_TRACE) on one clock:
// performance.timeOrigin + performance.now(), comparable across processes.
// Off (one boolean test per hand-off) unless the variable is set; lines are
// buffered and appended in batches, the rest when the listener closes.
import { appendFileSync } from 'node:fs';
import type { Member } from './strategy.js';
import { masterClock, stalled } from './strategies/stalled.js';

const FILE = process.env.DROVER_BALANCE_TRACE || undefined;
const BATCH = 2048;
let lines: string[] = [];

export const tracing = FILE !== undefined;
if (tracing) process.on('exit', () => flushTrace());

/**
 * `<at> <key> <chosen pid> <pid>:<connections>:<queued>:<stalled>,...` for one
 * hand-off: pids, because the app's own log knows its pid, not drover's id.
 */
export function traceDispatch(key: string, chosen: Member, members: Iterable<{ member: Member; child: { pid?: number } }>): void {
  const now = masterClock(); // the clock the members' times are on (platform/clock.ts)
  const view: string[] = [];
  let chosenPid = 0;
  for (const { member: m, child } of members) {
    if (m === chosen) chosenPid = child.pid ?? 0;
    view.push(`${child.pid ?? 0}:${m.connections}:${m.queued}:${stalled(m, now) ? 1 : 0}`);
  }
  lines.push(`${(performance.timeOrigin + performance.now()).toFixed(3)} ${key} ${chosenPid} ${view.join(',')}`);
  if (lines.length >= BATCH) flushTrace();
}

export function flushTrace(): void {
  if (FILE === undefined || lines.length === 0) return;
  const out = lines.join('\n') + '\n';
  lines = [];
  try {
    appendFileSync(FILE, out);
  } catch {
    // A diagnostic must not take the master down (a full disk, a removed directory).
  }
}
