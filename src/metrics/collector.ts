// Receives the snapshots that workers which called registerMetrics() push every
// intervalMs, and keeps the last one per worker: a scrape merges what is held
// and never waits for a worker (prom-client's AggregatorRegistry asks every
// worker at each scrape and fails the whole scrape after a fixed 5 s).
//
// Freshness: a scrape's app metrics are at most intervalMs old (plus a push's
// transit) while the workers keep up. A worker with no push for two intervals
// and STALE_GRACE_MS contributes its last snapshot and counts a collect error
// at each scrape, as a late answer did when the master asked per scrape.
import type { Messenger, MessageMeta } from '../messaging/endpoint.js';
import type { WorkerInfo } from '../runtime/supervisor.js';
import { AppMetricsStore } from './app-store.js';
import { parseSnapshot } from './snapshot.js';
import { METRICS_PUSH, METRICS_REGISTER, METRICS_WANTED } from './topics.js';

export const DEFAULT_METRICS_INTERVAL_MS = 1_000;
export const STALE_GRACE_MS = 1_000;

interface Seen {
  /** The snapshot's JSON as it came, to skip parsing an identical one. */
  raw: string | undefined;
  at: number;
}

export class AppMetricsCollector {
  readonly store = new AppMetricsStore();
  /** Processes that called registerMetrics(), by pid → when. */
  private readonly registered = new Map<number, number>();
  private readonly seen = new Map<number, Seen>();
  private readonly unsubscribe: Array<() => void>;

  constructor(
    private readonly messages: Messenger,
    private readonly workers: () => readonly WorkerInfo[],
    private readonly onError: (slot: number, error: string) => void,
    readonly intervalMs = DEFAULT_METRICS_INTERVAL_MS,
    private readonly now: () => number = Date.now,
  ) {
    const wanted = { intervalMs };
    this.unsubscribe = [
      messages.on(METRICS_REGISTER, (payload: unknown, meta) => {
        const pid = (payload as { pid?: unknown } | null)?.pid;
        if (typeof meta.from !== 'number' || typeof pid !== 'number' || !Number.isInteger(pid)) return;
        this.registered.set(pid, this.now());
        messages.send(meta.from, METRICS_WANTED, wanted).catch(() => {});
      }),
      messages.on(METRICS_PUSH, (payload: unknown, meta) => this.receive(payload, meta)),
    ];
    // Workers that registered before this collector existed (under the daemon it starts on the first scrape).
    messages.send('workers', METRICS_WANTED, wanted).catch(() => {});
  }

  private receive(payload: unknown, meta: MessageMeta): void {
    const slot = typeof meta.from === 'number' ? meta.from : -1;
    if (typeof payload !== 'string') return this.onError(slot, 'the snapshot is not a string');
    const nl = payload.indexOf('\n');
    const pid = Number(nl < 0 ? payload : payload.slice(0, nl));
    const worker = this.workers().find((w) => w.pid === pid);
    if (!worker || slot !== worker.slot) return this.onError(slot, 'the snapshot came from an unknown process');
    if (!this.registered.has(pid)) this.registered.set(pid, this.now());
    const raw = nl < 0 ? undefined : payload.slice(nl + 1);
    const seen = this.seen.get(worker.wid);
    if (seen) seen.at = this.now();
    else this.seen.set(worker.wid, { raw: undefined, at: this.now() });
    // `<pid>` alone: unchanged since the last push (a push the master refused is resent in full within 10 intervals).
    if (raw === undefined || raw === seen?.raw) return;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      return this.onError(worker.slot, 'the snapshot is not JSON');
    }
    const parsed = parseSnapshot(json, this.store.snapshotOf(worker.wid));
    if (!parsed.ok) return this.onError(worker.slot, parsed.error);
    this.seen.get(worker.wid)!.raw = raw;
    this.store.update(worker.wid, worker.slot, parsed.snapshot);
  }

  /** A worker exited: what it counted stays in the sums. */
  exited(wid: number, pid: number | undefined): void {
    if (pid !== undefined) this.registered.delete(pid);
    this.seen.delete(wid);
    this.store.retire(wid);
  }

  /** At a scrape: each registered worker that has not pushed in time counts a collect error (its last snapshot is used). */
  checkLate(workers: readonly WorkerInfo[]): void {
    const limit = 2 * this.intervalMs + STALE_GRACE_MS;
    const now = this.now();
    for (const w of workers) {
      if (w.pid === undefined) continue;
      const since = this.seen.get(w.wid)?.at ?? this.registered.get(w.pid);
      if (since !== undefined && now - since > limit) this.onError(w.slot, `no snapshot for ${now - since} ms`);
    }
  }

  close(): void {
    for (const u of this.unsubscribe) u();
  }
}
