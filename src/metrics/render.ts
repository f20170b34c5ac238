// One page of metrics: drover's own families and the merged app metrics, in
// the Prometheus text format, or OpenMetrics when the scraper asks for it.
import type { Registry } from 'prom-client';
import type { Prom } from './prom.js';
import type { MetricJson, Snapshot } from './snapshot.js';

export function wantsOpenMetrics(accept: string | undefined): boolean {
  return accept !== undefined && /application\/openmetrics-text/i.test(accept);
}

/** Merges snapshots by each family's aggregator (prom-client's rules); families with distinct labels simply join. */
export async function mergeSnapshots(prom: Prom, snapshots: readonly Snapshot[]): Promise<MetricJson[]> {
  if (snapshots.length === 0) return [];
  return (await prom.AggregatorRegistry.aggregate(snapshots as never).getMetricsAsJSON()) as unknown as MetricJson[];
}

/** drover's families first; an app family named like one of them would make the page invalid, so it is left out. */
export function withoutClashes(own: Snapshot, other: Snapshot): MetricJson[] {
  const taken = new Set(own.map((m) => m.name));
  return [...own, ...other.filter((m) => !taken.has(m.name))];
}

/** drover's own registry and the workers' snapshots, merged: one list of families. */
export async function pageJson(prom: Prom, own: Registry, app: readonly Snapshot[]): Promise<MetricJson[]> {
  const ownJson = (await own.getMetricsAsJSON()) as unknown as MetricJson[];
  return withoutClashes(ownJson, await mergeSnapshots(prom, app));
}

/**
 * prom-client's aggregated registries name an OpenMetrics counter `x_total_total`
 * (the name is fixed on a copy, then read from the original): counters are
 * renamed to their OpenMetrics family name before rendering.
 */
function forOpenMetrics(families: Snapshot): MetricJson[] {
  return families.map((m) => (m.type === 'counter' ? { ...m, name: m.name.replace(/_total$/, '') } : m));
}

/** Renders a list in which each family appears once. */
export async function renderJson(prom: Prom, families: Snapshot, openMetrics: boolean): Promise<{ contentType: string; body: string }> {
  let all: MetricJson[] = openMetrics ? forOpenMetrics(families) : [...families];
  // Aggregated already: 'first' keeps each as it is (an 'omit' aggregator would drop it from the page).
  all = all.map((m) => ({ ...m, aggregator: 'first' }));
  const type = openMetrics ? prom.Registry.OPENMETRICS_CONTENT_TYPE : prom.Registry.PROMETHEUS_CONTENT_TYPE;
  // (The typings omit aggregate()'s second parameter, the content type.)
  const aggregate = prom.AggregatorRegistry.aggregate as unknown as (metrics: unknown[], contentType: string) => Registry;
  const page = aggregate([all], type);
  return { contentType: page.contentType, body: await page.metrics() };
}

export async function renderPage(prom: Prom, own: Registry, app: readonly Snapshot[], openMetrics: boolean): Promise<{ contentType: string; body: string }> {
  return renderJson(prom, await pageJson(prom, own, app), openMetrics);
}
