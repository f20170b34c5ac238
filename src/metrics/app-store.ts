// The workers' app metrics as the master last saw them, and what exited
// workers had counted. Pure: the collector feeds it, the scrape reads it.
import { accumulate, withLabel, type MetricJson, type Snapshot } from './snapshot.js';

interface Live {
  readonly slot: number;
  readonly snapshot: Snapshot;
}

export class AppMetricsStore {
  private readonly live = new Map<number, Live>();
  /** Monotonic series of exited workers, per slot (per-worker series need them apart). */
  private readonly retired = new Map<number, MetricJson[]>();
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

  /** The worker exited: its last snapshot's counters and histograms stay in the sums; its gauges go. */
  retire(wid: number): void {
    const w = this.live.get(wid);
    if (!w) return;
    this.live.delete(wid);
    this.version++;
    this.onChange?.();
    this.retired.set(w.slot, accumulate(this.retired.get(w.slot) ?? [], w.snapshot));
  }

  /** Inputs for the merge (merge.ts: sums, and each gauge's own aggregator). */
  snapshots(perWorker: boolean): Snapshot[] {
    const out: Snapshot[] = [];
    if (perWorker) {
      for (const w of this.live.values()) out.push(withLabel(w.snapshot, 'worker', String(w.slot)));
      for (const [slot, r] of this.retired) out.push(withLabel(r, 'worker', String(slot)));
      return out;
    }
    for (const w of this.live.values()) out.push(w.snapshot);
    let all: MetricJson[] = [];
    for (const r of this.retired.values()) all = accumulate(all, r);
    if (all.length > 0) out.push(all);
    return out;
  }
}
