// How drover's own long-lived node processes are started: V8 flags and glibc
// settings that keep an idle app master (and the daemon) small (issue 17: an
// app master ≤ 10 MB of private memory). Measured with smaps_rollup, 2 apps ×
// 2 workers of the hello app, Node 20, paired runs (docs/daemon.md, "Memory"):
// - --optimize-for-size: V8's heap sizing and its memory reducer favour
//   footprint over allocation speed: once idle, a master gives back what its
//   start used (~15 → ~11 MB USS); without it the reducer frees little.
// - --gc-memory-reducer-start-delay-ms=500: that reducer runs 0.5 s after the
//   start's burst instead of 8 s (it collects only while the process
//   allocates little, so a busy master is not slowed by it).
// - --max-semi-space-size=1 (MB): V8 grows the young generation with the
//   allocation burst of the start and keeps it (4 MB in an idle master, 1 MB
//   in a bare node).
// - --v8-pool-size=1 and MALLOC_ARENA_MAX=2: fewer V8 helper threads and
//   glibc malloc arenas, each with pages of its own.
// - --no-maglev: Node 24's V8 compiles warm functions with Maglev (off by
//   default in Node 20's), and a master's start makes a few warm: its zone
//   memory and ~5 MB of the node binary's compiler code that no worker of an
//   idle app touches counted as the master's own (USS 20.4 → 14.7 MB on
//   Node 24, the CommonJS master, smaps_rollup). Hot code still reaches
//   TurboFan, later: the master's CPU per handed connection (round-robin, a
//   new connection per request) was 1.3-1.6× over the first 3 000
//   connections, and the same after 6 000 (paired, docs/daemon.md). Node 20
//   accepts the flag and changes nothing.
// - --bytecode-old-age=1: V8 drops the bytecode of a function that has not
//   run since the last full GC (default: 6 GCs), so what only the start ran
//   goes with the memory reducer's GCs; a function that runs again is
//   compiled again, lazily. Node 24, idle master, paired: 0.3-0.5 MB less in
//   a master, 0.5-0.7 MB in the daemon; Node 20: no change (docs/daemon.md).
// - --single-threaded: V8 runs its GC and its optimizing compiler on the main
//   thread only (no concurrent marking, sweeping or recompilation). Node 24,
//   idle master, paired ×5: 11.23 → 10.48 MB (median), and steady across runs
//   (10.45-10.60; without it some masters were read at 13.1 MB with V8's heap
//   not yet given back). The master's CPU per 1 000 handed connections did not
//   grow (paired, docs/daemon.md); a hot function's optimisation now runs
//   between two events instead of beside them, once.
// - --compact-on-every-full-gc: every full GC (the memory reducer's among
//   them) moves live objects out of fragmented old-space pages, instead of
//   only when V8's heuristics find a page sparse enough. An idle master's
//   old space holds ~3.5 MB live, among the holes its start left: Node 24,
//   the master's bundle split in two (scripts/build-cjs-preload.js), V8 heap
//   statistics, 4 masters each: old space committed 3 976 KB without, 3 752
//   with (live 3 550 both). A master's heap is a few MB, so a full GC's
//   compaction is short, and its full GCs are rare once it is idle.
// - --no-sparkplug: no baseline (Sparkplug) code: an idle master's
//   executable memory 216 → 8 KB (Node 24, smaps: the start's warm functions
//   compiled to machine code it then never runs). Its hot path still reaches
//   TurboFan from the interpreter. The master's CPU per 1 000 handed
//   connections (new connection per request, 8 in flight, 300 of warm-up
//   then 3 000 counted, 6 alternations, load 13-15): paired ratios
//   0.85-1.12, median 1.00 (docs/daemon.md, mem8).
// A master's steady work (handing connections to workers, routing messages)
// allocates little: its CPU per handed connection did not grow (paired A/B in
// docs/daemon.md).
// Contract: these apply to the process they start, never to its children: a
// master forks workers with the app's own node args (runtime/process-host.ts)
// and adopts its app's environment before it forks (daemon/app-master-process.ts).
import { nodeAtLeast } from '../platform/node-version.cjs';

export const SUPERVISOR_NODE_FLAGS: readonly string[] = ['--optimize-for-size', '--gc-memory-reducer-start-delay-ms=500', '--max-semi-space-size=1', '--v8-pool-size=1', '--no-maglev', '--bytecode-old-age=1', '--single-threaded', '--compact-on-every-full-gc', '--no-sparkplug'];

/** Added to the environment of an app master or daemon process (glibc reads it at start-up). */
export const SUPERVISOR_MALLOC_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };

const DAEMON_NODE_FLAGS: readonly string[] = [...SUPERVISOR_NODE_FLAGS, '--max-opt=0'];
/**
 * --expose-gc: the daemon's GCs after a burst of commands (daemon/idle-gc.ts),
 * before Node 22 only. Node 20: they keep a start's grown heap from staying.
 * Node 24 (2 apps × 2 workers, read 12 s after the second start, paired ×2):
 * the daemon's USS 10.0-10.2 MB without, 12.2-12.3 with them, 10.0 with the
 * flag alone; Node 22 not measured, so left as it was.
 */
const IDLE_GC_FLAGS: readonly string[] = ['--expose-gc'];

/**
 * The daemon's node flags: the supervisor's and `--max-opt=0` (no optimizing
 * tier: with --no-sparkplug and --no-maglev, the daemon runs in the
 * interpreter only). A function the daemon runs often enough is TurboFan-
 * compiled, and that code is memory no other process shares:
 * - Node 24, 2 apps × 2 workers, drover alone, read 13 s after the second
 *   app answered, 2 alternations: the daemon's USS 15.4-15.6 → 10.0 MB. The
 *   5.5 MB were pages of the node binary that only the daemon maps (TurboFan's
 *   own code, resident once it compiled node:path's normalizeString and
 *   isPosixPathSeparator in its first 13 s, `--trace-opt`).
 * - Node 20, same shape, 60 `list` calls before the 12 s wait (a daemon that
 *   served requests), paired ×2: 7.88-7.90 → 7.10-7.27 MB, all of it
 *   anonymous memory (optimized code and its heap), none in the binary's
 *   pages; with no list calls 7.05-7.09 → 6.98-7.00 (×4). `--trace-opt`:
 *   node:path's normalizeString again, after 2 starts and 20 lists (the
 *   daemon polls a starting master's socket path every 5 ms, daemon/masters.ts,
 *   more times the slower the host): the likely cause of the daemon that read
 *   7.1 MB in one bench run and 8.4 in others (issue 17).
 * A daemon that only optimized later would pay the same memory later, so it
 * never optimizes. Its cost (Node 24): the daemon's `list` reply for 2 apps
 * (in-process socket client, 300 requests, 3 alternations) 0.49 → 0.61 ms
 * median over the last 100, 0.95 → 0.79 over the first 30 (docs/daemon.md);
 * Node 20, same client, 2 alternations: 0.13-0.15 → 0.10 ms (last 100),
 * 0.22-0.35 → 0.13-0.20 (first 30): not slower.
 * Node 22 not measured (its V8 has the same flag and tiers).
 */
export function daemonNodeFlags(nodeVersion: string = process.versions.node): readonly string[] {
  return nodeAtLeast(22, 0, 0, nodeVersion) ? DAEMON_NODE_FLAGS : [...DAEMON_NODE_FLAGS, ...IDLE_GC_FLAGS];
}
