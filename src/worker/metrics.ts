// registerMetrics() of drover/worker: the app's prom-client registries, whose
// snapshots this worker pushes to the master, which merges them across workers.
// Loaded only when the app calls it. Outside drover it does nothing.
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { messenger } from '../messaging/hub-client.js';
import { METRICS_INTERVAL_LIMITS, METRICS_PUSH, METRICS_REGISTER, METRICS_WANTED } from '../metrics/topics.js';

/** What drover needs of a prom-client Registry (any version with getMetricsAsJSON). */
export interface MetricsRegistry {
  getMetricsAsJSON(): Promise<unknown[]> | unknown[];
}

const registries = new Set<MetricsRegistry>();
let registered = false;
let timer: NodeJS.Timeout | undefined;
let phase: NodeJS.Timeout | undefined;

/**
 * prom-client's global registry as the app sees it: the copy the app itself
 * resolves (its own node_modules), not necessarily drover's.
 */
async function appGlobalRegistry(): Promise<MetricsRegistry> {
  const main = process.argv[1] ? path.resolve(process.argv[1]) : path.join(process.cwd(), 'index.js');
  let mod: unknown;
  try {
    mod = await import(pathToFileURL(createRequire(main).resolve('prom-client')).href);
  } catch {
    mod = await import('prom-client');
  }
  const prom = ((mod as { default?: unknown }).default ?? mod) as { register: MetricsRegistry };
  return prom.register;
}

/** Every so many pushes the whole snapshot goes even when unchanged: a push the master dropped is not missed for long. */
const FULL_EVERY = 10;

/**
 * Pushes snapshots to the master every intervalMs once it asks (METRICS_WANTED,
 * sent again by a collector created later): a scrape then merges what the
 * master holds instead of waiting for every worker. Unchanged snapshots go as
 * the pid alone, so an idle app costs the master a string compare.
 */
function startPushing(m: ReturnType<typeof messenger>, intervalMs: number): void {
  clearTimeout(phase);
  clearInterval(timer);
  let last: string | undefined;
  let pushes = 0;
  let busy = false;
  const push = async () => {
    if (busy) return; // a slow registry: skip a turn rather than queue pushes
    busy = true;
    try {
      const lists = await Promise.all([...registries].map((r) => r.getMetricsAsJSON()));
      const json = JSON.stringify(lists.flat());
      const same = json === last && pushes++ % FULL_EVERY !== 0;
      if (!same) pushes = 1;
      last = json;
      await m.send('master', METRICS_PUSH, same ? String(process.pid) : `${process.pid}\n${json}`);
    } catch {
      // A registry that throws or a master that is going away: the master counts the missing push as a collect error.
    } finally {
      busy = false;
    }
  };
  // Workers started together pushed within the same few ms of every interval: the master took an app's pushes
  // (and the cores all workers' readings) in one burst, which a scrape then waited behind. The first push goes at
  // once; the next ones at a random phase of the interval, so pushes spread over it (never more than an interval apart).
  void push();
  phase = setTimeout(() => {
    timer = setInterval(push, intervalMs);
    timer.unref();
    void push();
  }, Math.random() * intervalMs);
  phase.unref();
}

export async function registerMetrics(registry?: MetricsRegistry): Promise<void> {
  const reg = registry ?? (await appGlobalRegistry());
  if (typeof reg?.getMetricsAsJSON !== 'function') throw new TypeError('registerMetrics(registry): expected a prom-client Registry');
  registries.add(reg);
  if (registered) return;
  registered = true;
  const m = messenger();
  m.on(METRICS_WANTED, (payload: unknown) => {
    const ms = (payload as { intervalMs?: unknown } | null)?.intervalMs;
    if (typeof ms === 'number' && ms >= METRICS_INTERVAL_LIMITS.min && ms <= METRICS_INTERVAL_LIMITS.max) startPushing(m, ms);
  });
  await m.send('master', METRICS_REGISTER, { pid: process.pid });
}
