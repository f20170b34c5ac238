// The workers' app metrics as the master last saw them, and what exited
// workers had counted. Pure: the collector feeds it, the scrape reads it.
import { accumulate, withLabel, type MetricJson, type Snapshot } from './snapshot.js';

interface Live {
  readonly slot: number;
  readonly snapshot: Snapshot;
  /** With the worker label (per-worker series), made at most once per snapshot. */
  labelled?: Snapshot;
}

export class AppMetricsStore {
  private readonly live = new Map<number, Live>();
  /** Monotonic series of exited workers, per slot (per-worker series need them apart). */
  private readonly retired = new Map<number, MetricJson[]>();
  /**
   * What snapshots() hands out for the exited workers, made again only after
   * a retire: the merge caches keys per value object (snapshot.ts), so the
   * same objects at every merge keep it cheap.
   */
  private retiredInputs: { perWorker: boolean; snapshots: Snapshot[] } | undefined;
  /** Bumped at every change: the merged page is worked out again only when it moved. */
  version = 0;
  /** Called after every change (the page's app part can be made ahead of the next scrape). */
  onChange: (() => void) | undefined;

  update(wid: number, slot: number, snapshot: Snapshot): void {
    this.live.set(wid, { slot, snapshot });
    this.version++;
    this.onChange?.();
  }

  has(wid: number): boolean {
    return this.live.has(wid);
  }

  /** The worker's last snapshot (its next one reuses what did not change: parseSnapshot). */
  snapshotOf(wid: number): Snapshot | undefined {
    return this.live.get(wid)?.snapshot;
  }

  /** The worker exited: its last snapshot's counters and histograms stay in the sums; its gauges go. */
  retire(wid: number): void {
    const w = this.live.get(wid);
    if (!w) return;
    this.live.delete(wid);
    this.retired.set(w.slot, accumulate(this.retired.get(w.slot) ?? [], w.snapshot));
    this.retiredInputs = undefined;
    this.version++;
    this.onChange?.();
  }

  /** Inputs for the merge (merge.ts: sums, and each gauge's own aggregator); the same objects until something changes. */
  snapshots(perWorker: boolean): Snapshot[] {
    const out: Snapshot[] = [];
    for (const w of this.live.values()) out.push(perWorker ? (w.labelled ??= withLabel(w.snapshot, 'worker', String(w.slot))) : w.snapshot);
    if (this.retiredInputs?.perWorker !== perWorker) this.retiredInputs = { perWorker, snapshots: this.retiredSnapshots(perWorker) };
    out.push(...this.retiredInputs.snapshots);
    return out;
  }

  private retiredSnapshots(perWorker: boolean): Snapshot[] {
    if (perWorker) return [...this.retired].map(([slot, r]) => withLabel(r, 'worker', String(slot)));
    let all: MetricJson[] = [];
    for (const r of this.retired.values()) all = accumulate(all, r);
    return all.length > 0 ? [all] : [];
  }
}
