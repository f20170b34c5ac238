// The shared state store's families (issue 12, asked for by issue 13), read
// from the master's store at scrape time with one status request in process.
// A scrape never opens the store: an app that has not used it shows zeros
// (and gets no file). The `app` label comes from the registry's default labels.
import type { Registry } from 'prom-client';
import { StateClient, type StoreStats } from '../state/client.js';
import type { Prom } from './prom.js';

const RESULTS = ['ok', 'conflict', 'error'] as const;

/** The figures the families show, as one comparable string (undefined: none could be read). */
export function statsKey(s: StoreStats | undefined): string | undefined {
  return s && `${s.keys} ${s.bytes} ${s.rev} ${s.watches} ${s.resets} ${s.writes.ok} ${s.writes.conflict} ${s.writes.error}`;
}

/**
 * Registers the families; returns the figures' reader, which the families'
 * collect() share (a caller that reads first and then collects in the same
 * turn makes one request): a scrape can tell that nothing changed before it
 * asks prom-client for the families.
 */
export function registerStateMetrics(prom: Prom, registry: Registry, store: unknown): () => Promise<StoreStats | undefined> {
  // supervise()'s store is a StateClient; anything else (a stub in a test) has no figures to show.
  if (!(store instanceof StateClient)) return () => Promise.resolve(undefined);
  const opts = { registers: [registry] };
  // One status request per scrape, shared by every family of that scrape.
  let pending: Promise<StoreStats | undefined> | undefined;
  const stats = () =>
    (pending ??= store
      .stats()
      .catch(() => undefined)
      .finally(() => setImmediate(() => (pending = undefined))));

  const gauge = (name: string, help: string, read: (s: StoreStats) => number) =>
    new prom.Gauge({
      ...opts,
      name,
      help,
      async collect() {
        const s = await stats();
        if (s) this.set(read(s));
      },
    });
  gauge('drover_state_keys', 'Keys in the shared state store.', (s) => s.keys);
  gauge('drover_state_bytes', "Size of the store's keys and values as JSON text (what its 64 MiB limit counts).", (s) => s.bytes);
  gauge('drover_state_rev', "The store's revision: changes since it was created.", (s) => s.rev);
  gauge('drover_state_watchers', 'Watches registered by workers and the agent.', (s) => s.watches);
  new prom.Counter({
    ...opts,
    name: 'drover_state_resets_total',
    help: 'Resets sent to watchers (a watcher that fell behind or came back too late gets a snapshot), since the master started.',
    async collect() {
      const s = await stats();
      if (!s) return;
      this.reset();
      this.inc(s.resets);
    },
  });
  new prom.Counter({
    ...opts,
    name: 'drover_state_writes_total',
    help: 'Writes (set, delete, update attempts) by result, since the master started: ok, conflict (compare-and-set lost), error.',
    labelNames: ['result'],
    async collect() {
      const s = await stats();
      if (!s) return;
      this.reset();
      for (const result of RESULTS) this.inc({ result }, s.writes[result]);
    },
  });
  return stats;
}
