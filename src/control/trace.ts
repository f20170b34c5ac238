// A start's timeline across processes (issue 17): with DROVER_TRACE naming a
// file, the CLI, the daemon and the app master append one line per step
// ("<epoch ms> <pid> <step>", µs precision, one clock for every process:
// performance.timeOrigin + now()), so a warm `drover start` can be read from
// the CLI's exec to the workers' listen (docs/daemon.md). Off unless set: one
// env read per process. The daemon and masters keep DROVER_* variables
// (stored-env.ts), so a daemon started with it traces every start it serves.
import { appendFileSync } from 'node:fs';

const FILE = process.env.DROVER_TRACE || undefined;

export const tracing = FILE !== undefined;

function write(at: number, step: string): void {
  try {
    appendFileSync(FILE!, `${at.toFixed(3)} ${process.pid} ${step}\n`);
  } catch {
    /* a trace must never fail what it traces */
  }
}

export function trace(step: string): void {
  if (tracing) write(performance.timeOrigin + performance.now(), step);
}

/** The process's exec (performance.timeOrigin) and now: Node's own start-up and the imports so far. */
export function traceOrigin(who: string): void {
  if (!tracing) return;
  write(performance.timeOrigin, `${who}: process start`);
  trace(`${who}: first line`);
}
