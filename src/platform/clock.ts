// The monotonic clock of drover's long-lived processes (app masters, the
// daemon), in milliseconds: what performance.now() gave them, without
// node:perf_hooks. That module's graph (user timing, resource timing,
// histograms, event-loop utilisation) cost an idle Node 24 app master
// ~0.4 MB of private memory to read a clock (issue 17, docs/daemon.md).
// Same contract as performance.now(): CLOCK_MONOTONIC (never goes back, not
// moved by wall-clock changes), sub-millisecond precision, near 0 when the
// process starts (counted from this module's load, not the process's exec):
// only differences between readings of one process mean anything. A value
// sent to another process or mixed with performance.now() is a bug
// (balancer/dispatch-trace.ts keeps performance for its cross-process stamps).
const origin = process.hrtime.bigint();

export function monotonicMs(): number {
  return Number(process.hrtime.bigint() - origin) / 1e6;
}
