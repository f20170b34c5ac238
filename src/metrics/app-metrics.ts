// Everything /metrics needs for one app master: drover's families, the app
// metrics collector, and the page renderer, bound to one Supervisor.
//
// A scrape is served from cached parts, each made again only when what it
// shows changed: the merged app families after a worker pushed a changed
// snapshot; drover's own families after a lifecycle event or a collect error,
// else once they are intervalMs old (their gauges — connections, messages,
// heartbeat figures — move without events, and reading them all through
// prom-client was most of a scrape's CPU); the master's process metrics once
// they are intervalMs old; the state store's families at every scrape (one
// request in this process; the test of issue 12 reads a write at once). So a page is at most intervalMs
// behind, as the app families always were (workers push every intervalMs),
// and the common case is one cached Buffer written in one piece.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { LifecycleEvent } from '../core/types.js';
import type { AppSupervisor as Supervisor } from '../runtime/supervisor.js';
import { AppMetricsCollector, DEFAULT_METRICS_INTERVAL_MS } from './collector.js';
import { DroverMetrics } from './drover-metrics.js';
import { statsKey } from './state-metrics.js';
import { mergeSnapshots } from './merge.js';
import { ProcessMetrics } from './process-metrics.js';
import { loadProm } from './prom.js';
import { contentTypeOf, renderFamilies } from './render.js';
import { withLabel, type MetricJson, type MetricValue, type Snapshot } from './snapshot.js';
// Not import.meta: this module is also built as CommonJS, for the app master.
import { PACKAGE_DIR } from '../platform/install-dir.cjs';
import { monotonicMs } from '../platform/clock.js';

/** Events that change drover's own families (counters, worker states): the cached ones are made again at the next scrape. */
const CHANGES: readonly LifecycleEvent['event'][] = [
  'fork', 'online', 'listening', 'ready', 'disconnect', 'exit', 'crash', 'hung', 'restart', 'recycle', 'promote', 'scale', 'stopping', 'stopped',
  'giveup', 'reload-start', 'reloaded', 'reload-failed', 'reload-refused', 'start-failed', 'started',
];

function droverVersion(): string {
  try {
    return (JSON.parse(readFileSync(path.join(PACKAGE_DIR, 'package.json'), 'utf8')) as { version: string }).version;
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
  /** Its series' labels objects live on from one reading to the next (the app part's: render.ts keeps their text). */
  readonly keptLabels?: boolean;
  /** The part's bytes, plain and OpenMetrics, made when a page first needs them. */
  readonly bytes: [Buffer | undefined, Buffer | undefined];
}

interface Own extends Cached {
  /** The count of changes it was read after. */
  readonly changes: number;
  readonly at: number;
}

const EOF = Buffer.from('# EOF\n');

const APP_LABELLED = new WeakMap<Snapshot, boolean>();
const hasAppLabel = (s: Snapshot): boolean => {
  let has = APP_LABELLED.get(s);
  if (has === undefined) APP_LABELLED.set(s, (has = s.some((m) => m.values.some((v) => 'app' in v.labels))));
  return has;
};

const bytesOf = (c: Cached, openMetrics: boolean): Buffer => (c.bytes[+openMetrics] ??= Buffer.from(renderFamilies(c.families, openMetrics, c.keptLabels)));

export class AppMetrics {
  private readonly own: DroverMetrics;
  private readonly collector: AppMetricsCollector;
  private readonly process: ProcessMetrics;
  private readonly onExit: (e: LifecycleEvent) => void;
  private readonly onChange: () => void;
  private app: Cached | undefined;
  private proc: Cached | undefined;
  private state: (Cached & { readonly plain: string; readonly seen: string | undefined }) | undefined;
  private ownCached: Own | undefined;
  private ownPending: Promise<Own> | undefined;
  private readings = 0;
  /** Bumped by whatever makes the cached own families wrong (an event, a collect error). */
  private changes = 0;
  private readonly pages: [{ key: string; body: Buffer } | undefined, { key: string; body: Buffer } | undefined] = [undefined, undefined];

  private constructor(
    private readonly supervisor: Supervisor,
    private readonly perWorker: boolean,
    own: DroverMetrics,
    private readonly intervalMs: number,
    private readonly now: () => number = monotonicMs,
  ) {
    this.own = own;
    this.process = new ProcessMetrics('drover_master_', { app: supervisor.spec.name }, intervalMs);
    this.collector = new AppMetricsCollector(
      supervisor.messages,
      () => supervisor.workers(),
      (slot) => {
        this.own.collectErrors.inc({ worker: String(slot) });
        this.changes++;
      },
      intervalMs,
    );
    this.collector.store.onChange = () => this.prepareSoon();
    this.onExit = (e) => {
      if (e.event === 'exit') this.collector.exited(e.wid, e.pid);
    };
    this.onChange = () => void this.changes++;
    supervisor.on('exit', this.onExit);
    for (const name of CHANGES) supervisor.on(name, this.onChange);
  }

  /**
   * A push changed the app families: while scrapes come more often than pushes,
   * merge and render them now, off the scrape's path (else a scrape after each
   * push paid the merge, which made the scrape time's tail). A scraper slower
   * than the pushes (Prometheus' 15 s against 1 s) gets them made at its
   * scrape, once, not at every push.
   */
  private prepareSoon(): void {
    if (this.preparing || this.lastScrape === undefined || this.now() - this.lastScrape > this.intervalMs) return;
    this.preparing = setImmediate(() => {
      this.preparing = undefined;
      void this.render(false, false).catch(() => {});
    });
  }

  /**
   * While scrapes come, drover's own families and the master's process
   * metrics are read again by a timer when they turn
   * intervalMs old, off the scrape's path: else the first scrape after that
   * paid the reading, one scrape in every interval (at a dashboard's rate of
   * scrapes, the scrape time's p99). A scrape still reads them itself when the
   * timer has not run yet, so a page is never older than before. "Scrapes
   * come": the last two were at most two intervals apart, and the last is at
   * most two intervals old (a scraper slower than that, as Prometheus' 15 s
   * against 1 s, gets the readings at its scrapes, as before, and no timer).
   */
  private refreshAhead(): void {
    const own = this.ownCached;
    if (this.refreshing || own === undefined || !this.scrapesCome()) return;
    const due = Math.max(own.at, this.process.readAt ?? own.at) + this.intervalMs - this.now();
    this.refreshing = setTimeout(() => {
      this.refreshing = undefined;
      if (!this.scrapesCome()) return;
      void this.render(false, false)
        .then(() => this.refreshAhead())
        .catch(() => {});
    }, Math.max(0, due) + 1);
    this.refreshing.unref();
  }

  private scrapesCome(): boolean {
    const { lastScrape, scrapeGap } = this;
    return lastScrape !== undefined && scrapeGap !== undefined && scrapeGap <= 2 * this.intervalMs && this.now() - lastScrape <= 2 * this.intervalMs;
  }

  private preparing: NodeJS.Immediate | undefined;
  private refreshing: NodeJS.Timeout | undefined;
  private lastScrape: number | undefined;
  /** Time between the last two scrapes. */
  private scrapeGap: number | undefined;

  /** Attach before supervisor.start(), so that no lifecycle event is missed. */
  static async create(supervisor: Supervisor, options: AppMetricsOptions): Promise<AppMetrics> {
    const own = new DroverMetrics(await loadProm(), supervisor, droverVersion(), options.logStats);
    return new AppMetrics(supervisor, options.perWorker, own, options.intervalMs ?? DEFAULT_METRICS_INTERVAL_MS);
  }

  /** drover's own families, read through prom-client again only after a change or once intervalMs old. */
  private ownFamilies(): Promise<Own> {
    const c = this.ownCached;
    if (c && c.changes === this.changes && this.now() - c.at < this.intervalMs) return Promise.resolve(c);
    // Concurrent scrapes share one reading (a change during it shows at the next scrape).
    if (this.ownPending) return this.ownPending;
    const changes = this.changes;
    const at = this.now();
    this.ownPending = (this.own.registry.getMetricsAsJSON() as unknown as Promise<MetricJson[]>)
      .then((families) => (this.ownCached = { key: ++this.readings, changes, at, families, bytes: [undefined, undefined] }))
      .finally(() => (this.ownPending = undefined));
    return this.ownPending;
  }

  /**
   * The state store's families, their figures read at every scrape (one
   * request to the store in this process; the test of issue 12 reads a write
   * at once). Unchanged figures keep the part as it is: reading the families
   * through prom-client and writing their text at every scrape was ~40% of
   * what a scrape allocated in the master (young-generation GCs over 1,500
   * back-to-back scrapes: 10 -> 6). A changed text gets a new key.
   */
  private async statePart(): Promise<Cached> {
    const seen = statsKey(await this.own.stateStats());
    if (this.state && seen !== undefined && this.state.seen === seen) return this.state;
    const families = (await this.own.stateRegistry.getMetricsAsJSON()) as unknown as MetricJson[];
    const plain = renderFamilies(families, false);
    if (this.state?.plain !== plain) this.state = { key: (this.state?.key ?? 0) + 1, families, plain, seen, bytes: [undefined, undefined] };
    else this.state = { ...this.state, seen };
    return this.state;
  }

  private processPart(): Cached {
    const families = this.process.families();
    if (this.proc?.key !== this.process.version) this.proc = { key: this.process.version, families, bytes: [undefined, undefined] };
    return this.proc;
  }

  /** The workers' families merged, with the app label (the daemon's page holds many apps), none named like drover's own. */
  private appFamilies(taken: ReadonlySet<string>): Cached {
    const key = this.collector.store.version;
    if (this.app?.key === key) return this.app;
    const name = this.supervisor.spec.name;
    const inputs = this.collector.store.snapshots(this.perWorker);
    // The label goes on after the merge (so the merge meets the value objects it has keys for, see seriesKey), which
    // gives the same series unless an app has its own label named `app` (it stays): then it goes on first, as it must.
    const ownApp = inputs.some(hasAppLabel);
    const merged = ownApp ? mergeSnapshots(inputs.map((s) => withLabel(s, 'app', name, true))) : this.mergeWithApp(inputs);
    this.app = { key, families: merged.filter((m) => !taken.has(m.name)), keptLabels: !ownApp, bytes: [undefined, undefined] };
    return this.app;
  }

  /**
   * The merge with the app label added to each merged series, in one labels
   * object per series kept from one merge to the next (render.ts keeps label
   * text per object: a page made again after a push escapes no label twice).
   */
  private mergeWithApp(inputs: readonly Snapshot[]): MetricJson[] {
    const name = this.supervisor.spec.name;
    const before = this.appLabels;
    const now = (this.appLabels = new Map());
    return mergeSnapshots(inputs, (family, key, own) => {
      let series = now.get(family);
      if (!series) now.set(family, (series = new Map()));
      let labels = before.get(family)?.get(key);
      if (!labels) labels = { app: name, ...own };
      series.set(key, labels);
      return labels;
    });
  }

  /** family → series key → labels with the app label, as the last merge wrote them. */
  private appLabels = new Map<string, Map<string, MetricValue['labels']>>();

  /** drover's parts of the page (its own families, the state store's, the master's process metrics), then the app's. */
  private async parts(scrape = true): Promise<{ drover: Cached[]; app: Cached }> {
    // A late worker counts a collect error at each scrape (and so makes the own families read again).
    if (scrape) this.collector.checkLate(this.supervisor.workers());
    const [own, state] = await Promise.all([this.ownFamilies(), this.statePart()]);
    const drover = [own, state, this.processPart()];
    // drover's family names are the same in every reading: the set matters only when the app part is made again.
    const taken = new Set(drover.flatMap((c) => c.families.map((m) => m.name)));
    return { drover, app: this.appFamilies(taken) };
  }

  /** Every family of this app master (drover's and the app's merged), as prom-client JSON. */
  async json(): Promise<MetricJson[]> {
    const { drover, app } = await this.parts();
    return [...drover.flatMap((c) => c.families), ...app.families];
  }

  /** The page as bytes, made again only when one of its parts changed. */
  async render(openMetrics: boolean, scrape = true): Promise<{ contentType: string; body: Buffer }> {
    if (scrape) {
      const now = this.now();
      if (this.lastScrape !== undefined) this.scrapeGap = now - this.lastScrape;
      this.lastScrape = now;
    }
    const { drover, app } = await this.parts(scrape);
    const parts = [...drover, app];
    const key = parts.map((c) => c.key).join(':');
    const contentType = contentTypeOf(openMetrics);
    if (scrape) this.refreshAhead();
    const cached = this.pages[+openMetrics];
    if (cached?.key === key) return { contentType, body: cached.body };
    // Only a changed part is written out as text again; the page is the parts' bytes end to end.
    const body = Buffer.concat(openMetrics ? [...parts.map((c) => bytesOf(c, true)), EOF] : parts.map((c) => bytesOf(c, false)));
    this.pages[+openMetrics] = { key, body };
    return { contentType, body };
  }

  close(): void {
    if (this.preparing) clearImmediate(this.preparing);
    clearTimeout(this.refreshing);
    this.collector.store.onChange = undefined;
    this.supervisor.off('exit', this.onExit);
    for (const name of CHANGES) this.supervisor.off(name, this.onChange);
    this.collector.close();
    this.own.close();
  }
}
