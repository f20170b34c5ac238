// Everything /metrics needs for one app master: drover's families, the app
// metrics collector, and the page renderer, bound to one Supervisor.
//
// What a scrape costs: drover's own families (read live from the supervisor),
// the text of the master's process metrics (sampled every intervalMs: prom-client
// reads them with process.memoryUsage(), v8 heap statistics and a turn of the
// event loop, the most expensive part of a page) and the merged app families
// (worked out again only after a worker pushed a changed snapshot).
import { readFileSync } from 'node:fs';
import type { LifecycleEvent } from '../core/types.js';
import type { AppSupervisor as Supervisor } from '../runtime/supervisor.js';
import { AppMetricsCollector, DEFAULT_METRICS_INTERVAL_MS } from './collector.js';
import { DroverMetrics } from './drover-metrics.js';
import { mergeSnapshots } from './merge.js';
import { loadProm } from './prom.js';
import { page, renderFamilies } from './render.js';
import { withLabel, type MetricJson } from './snapshot.js';

function droverVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export interface AppMetricsOptions {
  readonly perWorker: boolean;
  /** How often workers push their snapshots and the master samples its process metrics (the page's freshness). */
  readonly intervalMs?: number;
  readonly logStats?: () => { readonly dropped: number };
}

interface Cached {
  readonly key: number;
  readonly families: MetricJson[];
  readonly text: [string | undefined, string | undefined];
}

const textOf = (c: Cached, openMetrics: boolean): string => (c.text[+openMetrics] ??= renderFamilies(c.families, openMetrics));

export class AppMetrics {
  private readonly own: DroverMetrics;
  private readonly collector: AppMetricsCollector;
  private readonly onExit: (e: LifecycleEvent) => void;
  private readonly sampler: NodeJS.Timeout;
  private app: Cached | undefined;
  private process: Cached;
  private sampling = false;

  private constructor(
    private readonly supervisor: Supervisor,
    private readonly perWorker: boolean,
    own: DroverMetrics,
    processJson: MetricJson[],
    intervalMs: number,
  ) {
    this.own = own;
    this.process = { key: 0, families: processJson, text: [undefined, undefined] };
    this.collector = new AppMetricsCollector(supervisor.messages, () => supervisor.workers(), (slot) => this.own.collectErrors.inc({ worker: String(slot) }), intervalMs);
    this.onExit = (e) => {
      if (e.event === 'exit') this.collector.exited(e.wid, e.pid);
    };
    supervisor.on('exit', this.onExit);
    this.sampler = setInterval(() => void this.sample(), intervalMs);
    this.sampler.unref();
  }

  /** Attach before supervisor.start(), so that no lifecycle event is missed. */
  static async create(supervisor: Supervisor, options: AppMetricsOptions): Promise<AppMetrics> {
    const own = new DroverMetrics(await loadProm(), supervisor, droverVersion(), options.logStats);
    const processJson = (await own.processRegistry.getMetricsAsJSON()) as unknown as MetricJson[];
    return new AppMetrics(supervisor, options.perWorker, own, processJson, options.intervalMs ?? DEFAULT_METRICS_INTERVAL_MS);
  }

  private async sample(): Promise<void> {
    if (this.sampling) return;
    this.sampling = true;
    try {
      const families = (await this.own.processRegistry.getMetricsAsJSON()) as unknown as MetricJson[];
      this.process = { key: this.process.key + 1, families, text: [undefined, undefined] };
    } catch {
      // Keep the previous sample; prom-client's default collectors do not throw in practice.
    } finally {
      this.sampling = false;
    }
  }

  /** The workers' families merged, with the app label (the daemon's page holds many apps), none named like drover's own. */
  private appFamilies(taken: ReadonlySet<string>): Cached {
    const key = this.collector.store.version;
    if (this.app?.key === key) return this.app;
    const name = this.supervisor.spec.name;
    // An app's own label named `app` stays.
    const merged = mergeSnapshots(this.collector.store.snapshots(this.perWorker).map((s) => withLabel(s, 'app', name, true)));
    this.app = { key, families: merged.filter((m) => !taken.has(m.name)), text: [undefined, undefined] };
    return this.app;
  }

  private async parts(): Promise<{ own: MetricJson[]; app: Cached }> {
    this.collector.checkLate(this.supervisor.workers());
    const own = (await this.own.registry.getMetricsAsJSON()) as unknown as MetricJson[];
    const taken = new Set([...own, ...this.process.families].map((m) => m.name));
    return { own, app: this.appFamilies(taken) };
  }

  /** Every family of this app master (drover's and the app's merged), as prom-client JSON. */
  async json(): Promise<MetricJson[]> {
    const { own, app } = await this.parts();
    return [...own, ...this.process.families, ...app.families];
  }

  async render(openMetrics: boolean): Promise<{ contentType: string; body: string }> {
    const { own, app } = await this.parts();
    return page([renderFamilies(own, openMetrics), textOf(this.process, openMetrics), textOf(app, openMetrics)], openMetrics);
  }

  close(): void {
    clearInterval(this.sampler);
    this.supervisor.off('exit', this.onExit);
    this.collector.close();
    this.own.close();
  }
}
