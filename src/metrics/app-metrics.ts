// Everything /metrics needs for one app master: drover's families, the app
// metrics collector, and the page renderer, bound to one Supervisor.
import { readFileSync } from 'node:fs';
import type { LifecycleEvent } from '../core/types.js';
import type { AppSupervisor as Supervisor } from '../runtime/supervisor.js';
import { AppMetricsCollector } from './collector.js';
import { DroverMetrics } from './drover-metrics.js';
import { loadProm, type Prom } from './prom.js';
import { pageJson, renderJson } from './render.js';
import { withLabel, type MetricJson } from './snapshot.js';

function droverVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export class AppMetrics {
  private readonly own: DroverMetrics;
  private readonly collector: AppMetricsCollector;
  private readonly onExit: (e: LifecycleEvent) => void;

  private constructor(
    private readonly prom: Prom,
    private readonly supervisor: Supervisor,
    private readonly perWorker: boolean,
    logStats: (() => { readonly dropped: number }) | undefined,
  ) {
    this.own = new DroverMetrics(prom, supervisor, droverVersion(), logStats);
    this.collector = new AppMetricsCollector(supervisor.messages, (slot) => this.own.collectErrors.inc({ worker: String(slot) }));
    this.onExit = (e) => {
      if (e.event === 'exit') this.collector.exited(e.wid, e.pid);
    };
    supervisor.on('exit', this.onExit);
  }

  /** Attach before supervisor.start(), so that no lifecycle event is missed. */
  static async create(supervisor: Supervisor, options: { readonly perWorker: boolean; readonly logStats?: () => { readonly dropped: number } }): Promise<AppMetrics> {
    return new AppMetrics(await loadProm(), supervisor, options.perWorker, options.logStats);
  }

  /** Every family of this app master (drover's and the app's merged), as prom-client JSON. */
  async json(): Promise<MetricJson[]> {
    await this.collector.collect(this.supervisor.workers());
    // The app label, as on drover's own families (the daemon's page holds many apps); an app's own label of that name stays.
    const app = this.collector.store.snapshots(this.perWorker).map((s) => withLabel(s, 'app', this.supervisor.spec.name, true));
    return pageJson(this.prom, this.own.registry, app);
  }

  async render(openMetrics: boolean): Promise<{ contentType: string; body: string }> {
    return renderJson(await this.json(), openMetrics);
  }

  close(): void {
    this.supervisor.off('exit', this.onExit);
    this.collector.close();
    this.own.close();
  }
}
