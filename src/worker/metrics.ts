// registerMetrics() of drover/worker: the app's prom-client registries, which
// the master asks for a snapshot at each scrape and merges across workers.
// Loaded only when the app calls it. Outside drover it does nothing.
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { messenger } from '../messaging/hub-client.js';
import { METRICS_REGISTER, METRICS_SNAPSHOT } from '../metrics/topics.js';

/** What drover needs of a prom-client Registry (any version with getMetricsAsJSON). */
export interface MetricsRegistry {
  getMetricsAsJSON(): Promise<unknown[]> | unknown[];
}

const registries = new Set<MetricsRegistry>();
let registered = false;

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

export async function registerMetrics(registry?: MetricsRegistry): Promise<void> {
  const reg = registry ?? (await appGlobalRegistry());
  if (typeof reg?.getMetricsAsJSON !== 'function') throw new TypeError('registerMetrics(registry): expected a prom-client Registry');
  registries.add(reg);
  if (registered) return;
  registered = true;
  const m = messenger();
  m.handle(METRICS_SNAPSHOT, async () => {
    const lists = await Promise.all([...registries].map((r) => r.getMetricsAsJSON()));
    // A string travels as UTF-8 without a serialiser, and JSON.parse decodes a few hundred small objects
    // faster than v8.deserialize (docs/messaging-benchmarks.md): the master's CPU per scrape is what counts.
    return JSON.stringify({ pid: process.pid, metrics: lists.flat() });
  });
  await m.send('master', METRICS_REGISTER, { pid: process.pid });
}
