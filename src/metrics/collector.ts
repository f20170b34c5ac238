// Asks each worker that registered app metrics for a snapshot, each with its
// own deadline: a slow or dead worker contributes its last snapshot and counts
// a collect error; a scrape never fails because of one worker (prom-client's
// AggregatorRegistry fails the whole scrape after a fixed 5 s).
import type { Messenger } from '../messaging/endpoint.js';
import type { WorkerInfo } from '../runtime/supervisor.js';
import { AppMetricsStore } from './app-store.js';
import { parseSnapshot } from './snapshot.js';
import { METRICS_REGISTER, METRICS_SNAPSHOT } from './topics.js';

export const COLLECT_TIMEOUT_MS = 1_000;

export class AppMetricsCollector {
  readonly store = new AppMetricsStore();
  /** Processes that called registerMetrics(), by pid → slot. */
  private readonly registered = new Map<number, number>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly messages: Messenger,
    private readonly onError: (slot: number, error: string) => void,
    private readonly timeoutMs = COLLECT_TIMEOUT_MS,
  ) {
    this.unsubscribe = messages.on(METRICS_REGISTER, (payload: unknown, meta) => {
      const pid = (payload as { pid?: unknown } | null)?.pid;
      if (typeof meta.from === 'number' && typeof pid === 'number' && Number.isInteger(pid)) this.registered.set(pid, meta.from);
    });
  }

  /** A worker exited: what it counted stays in the sums. */
  exited(wid: number, pid: number | undefined): void {
    if (pid !== undefined) this.registered.delete(pid);
    this.store.retire(wid);
  }

  async collect(workers: readonly WorkerInfo[]): Promise<void> {
    const widOf = new Map(workers.filter((w) => w.pid !== undefined).map((w) => [w.pid!, w]));
    const slots = new Set<number>();
    for (const [pid, slot] of this.registered) if (widOf.has(pid)) slots.add(slot);
    await Promise.all([...slots].map((slot) => this.ask(slot, widOf)));
  }

  private async ask(slot: number, byPid: ReadonlyMap<number, WorkerInfo>): Promise<void> {
    let reply: unknown;
    try {
      reply = await this.messages.request(slot, METRICS_SNAPSHOT, undefined, { timeoutMs: this.timeoutMs });
    } catch (err) {
      return this.onError(slot, (err as Error).message);
    }
    if (typeof reply === 'string') {
      try {
        reply = JSON.parse(reply);
      } catch {
        return this.onError(slot, 'the snapshot is not JSON');
      }
    }
    const { pid, metrics } = (reply ?? {}) as { pid?: unknown; metrics?: unknown };
    const worker = typeof pid === 'number' ? byPid.get(pid) : undefined;
    if (!worker) return this.onError(slot, 'the snapshot came from an unknown process');
    const parsed = parseSnapshot(metrics);
    if (!parsed.ok) return this.onError(slot, parsed.error);
    this.store.update(worker.wid, worker.slot, parsed.snapshot);
  }

  close(): void {
    this.unsubscribe();
  }
}
