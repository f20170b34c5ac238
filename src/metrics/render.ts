// One page of metrics: drover's own families and the merged app metrics, in
// the Prometheus text format, or OpenMetrics when the scraper asks for it.
import type { Registry } from 'prom-client';
import type { Prom } from './prom.js';
import type { MetricJson, Snapshot } from './snapshot.js';

export function wantsOpenMetrics(accept: string | undefined): boolean {
  return accept !== undefined && /application\/openmetrics-text/i.test(accept);
}

/**
 * prom-client's aggregated registries name an OpenMetrics counter `x_total_total`
 * (the name is fixed on a copy, then read from the original): counters are
 * renamed to their OpenMetrics family name before rendering.
 */
function forOpenMetrics(snapshot: Snapshot): MetricJson[] {
  return snapshot.map((m) => (m.type === 'counter' ? { ...m, name: m.name.replace(/_total$/, '') } : m));
}

export async function renderPage(
  prom: Prom,
  own: Registry,
  app: readonly Snapshot[],
  openMetrics: boolean,
): Promise<{ contentType: string; body: string; dropped: string[] }> {
  const ownJson = (await own.getMetricsAsJSON()) as unknown as MetricJson[];
  const merged = app.length > 0 ? ((await prom.AggregatorRegistry.aggregate(app as never).getMetricsAsJSON()) as unknown as MetricJson[]) : [];
  // An app family named like one of drover's would make the page invalid: drover's wins, the app's is left out.
  const taken = new Set(ownJson.map((m) => m.name));
  const dropped = merged.filter((m) => taken.has(m.name)).map((m) => m.name);
  let all: MetricJson[] = [...ownJson, ...merged.filter((m) => !taken.has(m.name))];
  if (openMetrics) all = forOpenMetrics(all);
  // Aggregated already: 'first' keeps each as it is (an 'omit' aggregator would drop it from the page).
  all = all.map((m) => ({ ...m, aggregator: 'first' }));
  const type = openMetrics ? prom.Registry.OPENMETRICS_CONTENT_TYPE : prom.Registry.PROMETHEUS_CONTENT_TYPE;
  // Each family appears once in `all`, so aggregating the one list renders it as it is.
  // (The typings omit aggregate()'s second parameter, the content type.)
  const aggregate = prom.AggregatorRegistry.aggregate as unknown as (metrics: unknown[], contentType: string) => Registry;
  const page = aggregate([all], type);
  return { contentType: page.contentType, body: await page.metrics(), dropped };
}
