// The master's own process metrics (drover_master_…; the daemon's: drover_daemon_…), read cheaply and only
// when a scrape wants them, at most once per maxAgeMs (Prometheus' own scrape
// resolution is seconds).
//
// Not prom-client's collectDefaultMetrics: that keeps an event-loop-delay
// histogram at 10 ms resolution (100 timer wakeups a second in the master,
// which competes with the workers for the cores even when nobody scrapes), a
// GC observer, and reads /proc/self/status with async file reads on every
// collection; its page (heap spaces, GC buckets, eventloop percentiles) was
// most of the master's share of a scrape. These are the figures an operator
// reads about the master, under prom-client's names.
import { readdirSync, readFileSync } from 'node:fs';
import type { MetricJson, MetricValue } from './snapshot.js';
import { monotonicMs } from '../platform/clock.js';

export interface ProcessReadings {
  cpu(): NodeJS.CpuUsage;
  memory(): { rss: number; heapTotal: number; heapUsed: number; external: number };
  /** Open file descriptors; undefined where /proc is missing. */
  openFds(): number | undefined;
  startTimeSeconds: number;
  maxFds: number | undefined;
  nodeVersion: string;
}

function maxOpenFiles(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

export function liveReadings(): ProcessReadings {
  return {
    cpu: () => process.cpuUsage(),
    memory: () => process.memoryUsage(),
    openFds: () => {
      try {
        return readdirSync('/proc/self/fd').length - 1; // the listing's own descriptor
      } catch {
        return undefined;
      }
    },
    startTimeSeconds: Math.round(Date.now() / 1000 - process.uptime()),
    maxFds: maxOpenFiles(),
    nodeVersion: process.versions.node,
  };
}

/**
 * One reading of the families, labelled like the rest of the page. lagSeconds:
 * how late the last setImmediate scheduled by the caller ran (prom-client's
 * nodejs_eventloop_lag_seconds), undefined before the first.
 */
export function processFamilies(r: ProcessReadings, prefix: string, labels: Readonly<Record<string, string>>, lagSeconds: number | undefined): MetricJson[] {
  const cpu = r.cpu();
  // One memoryUsage() call: it reads the resident size too (a second rss() read cost as much again).
  const mem = r.memory();
  const fds = r.openFds();
  const out: MetricJson[] = [];
  const one = (name: string, type: 'counter' | 'gauge', help: string, value: number | undefined, extra: Record<string, string> = {}) => {
    if (value === undefined) return;
    const values: MetricValue[] = [{ value, labels: { ...extra, ...labels } }];
    out.push({ name: prefix + name, help, type, aggregator: type === 'counter' ? 'sum' : 'first', values });
  };
  one('process_cpu_user_seconds_total', 'counter', 'Total user CPU time spent in seconds.', cpu.user / 1e6);
  one('process_cpu_system_seconds_total', 'counter', 'Total system CPU time spent in seconds.', cpu.system / 1e6);
  one('process_cpu_seconds_total', 'counter', 'Total user and system CPU time spent in seconds.', (cpu.user + cpu.system) / 1e6);
  one('process_start_time_seconds', 'gauge', 'Start time of the process since unix epoch in seconds.', r.startTimeSeconds);
  one('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.', mem.rss);
  one('process_open_fds', 'gauge', 'Number of open file descriptors.', fds);
  one('process_max_fds', 'gauge', 'Maximum number of open file descriptors.', r.maxFds);
  one('nodejs_eventloop_lag_seconds', 'gauge', 'Lag of event loop in seconds (how late a setImmediate ran, at the previous reading).', lagSeconds);
  one('nodejs_heap_size_total_bytes', 'gauge', 'Process heap size from Node.js in bytes.', mem.heapTotal);
  one('nodejs_heap_size_used_bytes', 'gauge', 'Process heap size used from Node.js in bytes.', mem.heapUsed);
  one('nodejs_external_memory_bytes', 'gauge', 'Node.js external memory size in bytes.', mem.external);
  const [major, minor, patch] = r.nodeVersion.split('.');
  one('nodejs_version_info', 'gauge', 'Node.js version info.', 1, { version: `v${r.nodeVersion}`, major: major ?? '', minor: minor ?? '', patch: patch ?? '' });
  return out;
}

/** The families, read again only when the last reading is older than maxAgeMs. */
export class ProcessMetrics {
  private cached: { at: number; families: MetricJson[] } | undefined;
  private lag: number | undefined;
  private probing = false;
  /** Bumped at each new reading: a key for text made from it. */
  version = 0;

  constructor(
    /** drover_master_ in an app master, drover_daemon_ in the daemon. */
    private readonly prefix: string,
    private readonly labels: Readonly<Record<string, string>>,
    private readonly maxAgeMs: number,
    private readonly readings: ProcessReadings = liveReadings(),
    private readonly now: () => number = monotonicMs,
  ) {}

  /** When the families were last read (the clock given), undefined before the first reading. */
  get readAt(): number | undefined {
    return this.cached?.at;
  }

  families(): MetricJson[] {
    const now = this.now();
    if (this.cached && now - this.cached.at < this.maxAgeMs) return this.cached.families;
    this.cached = { at: now, families: processFamilies(this.readings, this.prefix, this.labels, this.lag) };
    this.version++;
    this.probeLag();
    return this.cached.families;
  }

  // One setImmediate per reading, not a timer: an idle master that nobody scrapes does no work for its metrics.
  private probeLag(): void {
    if (this.probing) return;
    this.probing = true;
    const start = process.hrtime.bigint();
    setImmediate(() => {
      this.probing = false;
      this.lag = Number(process.hrtime.bigint() - start) / 1e9;
    });
  }
}
