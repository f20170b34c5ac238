// CPU share under Linux autogroup scheduling.
//
// Every worker is started detached (its own session: process-host.ts), for
// signal isolation and group kills. With autogroups (kernel.sched_autogroup_enabled,
// the default on most distributions, effective for tasks outside a cgroup with
// its own CPU controller) the scheduler shares the CPU between *sessions* first,
// so N detached workers would weigh N sessions against every other process on
// the host: against a reverse proxy or a load generator on the same cores, they
// take more than Node's cluster or PM2 (whose workers share one session) and
// starve the other side. Measured on the 2-core bench machine, 2 workers at the
// default weight served 0.93-0.94x Node cluster RR's keep-alive req/s (autocannon on
// the same cores, paired medians of 6 rounds); with this weighting 1.06-1.10x.
//
// So each worker's autogroup gets the nice value whose kernel weight, times the
// number of workers, comes closest to one session at nice 0 (1024): the app's
// workers together weigh what one process would, once they are ready (a
// starting worker boots at the default weight: supervisor.ts weighCpu). Raising an autogroup's nice
// needs no privilege (but is rate-limited: AutogroupWriter). Where autogroups
// are off, or /proc is not Linux's, nothing is written. DROVER_AUTOGROUP=off
// leaves every worker at the kernel's default.
import { readFileSync, writeFileSync } from 'node:fs';

/** The kernel's sched_prio_to_weight for nice 0..19 (kernel/sched/core.c). */
const WEIGHTS = [1024, 820, 655, 526, 423, 335, 272, 215, 172, 137, 110, 87, 70, 56, 45, 36, 29, 23, 18, 15] as const;

/** The autogroup nice (0..19) that makes `members` groups together weigh one group at nice 0. */
export function shareNice(members: number): number {
  if (!(members > 1)) return 0;
  let best = 0;
  for (let nice = 1; nice < WEIGHTS.length; nice++) {
    if (Math.abs(members * WEIGHTS[nice]! - 1024) < Math.abs(members * WEIGHTS[best]! - 1024)) best = nice;
  }
  return best;
}

let enabled: boolean | undefined;

function autogroupsOn(): boolean {
  if (enabled === undefined) {
    try {
      enabled = process.env.DROVER_AUTOGROUP !== 'off' && readFileSync('/proc/sys/kernel/sched_autogroup_enabled', 'utf8').trim() === '1';
    } catch {
      enabled = false;
    }
  }
  return enabled;
}

export type WriteOutcome = 'ok' | 'again' | 'failed';

/** Retry delay after EAGAIN: the kernel's limit is one write per HZ/10 jiffies (100 ms). */
export const RETRY_MS = 110;

/**
 * Writes autogroup nice values, retrying the refused ones in order.
 *
 * Quirk: without CAP_SYS_ADMIN the kernel accepts one autogroup nice write per
 * 100 ms, system-wide (proc_sched_autogroup_set_nice returns EAGAIN before
 * that), so an unprivileged master that starts 4 workers at once gets only the
 * first write through. The others wait in a queue and go one per RETRY_MS. A
 * pid that exits meanwhile fails its write (ENOENT) and is dropped; pids are
 * allocated sequentially, so one is not reused within the few hundred ms a
 * queue lasts.
 */
export class AutogroupWriter {
  private readonly queued = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly write: (pid: number, nice: number) => WriteOutcome) {}

  /** Sets (or queues) each pid's nice; true when any was written or queued. */
  set(pids: Iterable<number | undefined>, nice: number): boolean {
    let any = false;
    for (const pid of pids) {
      if (pid === undefined) continue;
      if (this.queued.size > 0) {
        // Behind earlier refusals, and a newer value replaces a queued one.
        this.queued.delete(pid);
        this.queued.set(pid, nice);
        any = true;
        continue;
      }
      const outcome = this.write(pid, nice);
      if (outcome === 'again') {
        this.queued.set(pid, nice);
        this.schedule();
      }
      any ||= outcome !== 'failed';
    }
    return any;
  }

  get pending(): number {
    return this.queued.size;
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => this.drain(), RETRY_MS);
    this.timer.unref();
  }

  private drain(): void {
    this.timer = undefined;
    for (const [pid, nice] of this.queued) {
      if (this.write(pid, nice) === 'again') return this.schedule();
      this.queued.delete(pid);
    }
  }
}

function writeProc(pid: number, nice: number): WriteOutcome {
  try {
    writeFileSync(`/proc/${pid}/autogroup`, String(nice));
    return 'ok';
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EAGAIN' ? 'again' : 'failed';
  }
}

const writer = new AutogroupWriter(writeProc);

/**
 * Sets the autogroup nice of each pid's session. Best effort: a process that
 * has exited, or a kernel that refuses, keeps the default weight. True when
 * anything was written (or queued).
 */
export function weighAutogroups(pids: Iterable<number | undefined>, nice: number): boolean {
  return autogroupsOn() && writer.set(pids, nice);
}
