// Two full garbage collections once the daemon has gone idle after a burst of
// commands (a start, a stop, a list). V8 shrinks a heap only after a
// mark-compact: its memory reducer starts after one, and a daemon whose start
// burst grew the heap with scavenges only kept it grown. The same daemon (Node
// 20, 1 app × 2 workers, read 12 s after the start, a copy of dist/ each)
// read 8.9 MB USS in some runs and 6.9-7.0 in others (issue 17: 7.1 MB in one
// bench run, 8.4 in others). One GC 1 s after the last command: 8.2-8.3 (×4);
// one at 3 s: 8.2 (×3); two in a row at 3 s: 6.9-7.2 (×3), against 8.9 (×2) for
// the daemon without, in the same alternation. Why the second one counts was
// not traced (V8 gives back the pages the first one emptied, presumably).
//
// Contracts:
// - Debounced: every command re-arms the timer, so a client polling the
//   daemon (drover monit) never triggers it; the GCs run IDLE_GC_MS after the
//   last command, once. A full GC of the daemon's few-MB heap is a few ms.
// - gc is V8's, exposed by the daemon's --expose-gc (control/node-flags.ts),
//   given before Node 22 only: on Node 24 the same GCs left the daemon 2 MB
//   larger. Without it (Node 22+, a daemon started by hand) this does nothing.
// - The timer is unref'd: it never keeps the daemon alive.

/** Quiet time after the last command before the GC runs. */
export const IDLE_GC_MS = 3_000;

export class IdleGc {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly gc: (() => void) | undefined = (globalThis as { gc?: () => void }).gc,
    private readonly delayMs: number = IDLE_GC_MS,
  ) {}

  /** A command settled: the GCs run once nothing else came for delayMs. */
  readonly touch = (): void => {
    if (!this.gc) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.gc!();
      this.gc!();
    }, this.delayMs);
    this.timer.unref();
  };
}
