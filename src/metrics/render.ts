// One page of metrics: drover's own families and the merged app metrics, in
// the Prometheus text format, or OpenMetrics when the scraper asks for it.
import type { Registry } from 'prom-client';
import type { Prom } from './prom.js';
import type { MetricJson, MetricValue, Snapshot } from './snapshot.js';

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

export const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';
export const OPENMETRICS_TEXT = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

const escapeHelp = (s: string) => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const escapeLabel = (s: string) => escapeHelp(s).replace(/"/g, '\\"');

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function formatLabels(labels: MetricValue['labels']): string {
  const parts: string[] = [];
  for (const k in labels) parts.push(`${k}="${escapeLabel(String(labels[k]))}"`);
  return parts.length > 0 ? `{${parts.join(',')}}` : '';
}

/**
 * The page, written straight from the merged families (each name once): a
 * second pass through prom-client's registry cost more CPU per scrape than
 * the merge itself. OpenMetrics: a counter's family is named without
 * `_total`, its samples with it, and the page ends with `# EOF`.
 */
export function renderJson(families: Snapshot, openMetrics: boolean): { contentType: string; body: string } {
  const out: string[] = [];
  for (const m of families) {
    const family = openMetrics && m.type === 'counter' ? m.name.replace(/_total$/, '') : m.name;
    out.push(`# HELP ${family} ${escapeHelp(m.help)}`, `# TYPE ${family} ${m.type}`);
    for (const v of m.values) {
      const name = v.metricName ?? (openMetrics && m.type === 'counter' ? `${family}_total` : m.name);
      out.push(`${name}${formatLabels(v.labels)} ${formatValue(v.value)}`);
    }
  }
  if (openMetrics) out.push('# EOF');
  return { contentType: openMetrics ? OPENMETRICS_TEXT : PROMETHEUS_TEXT, body: `${out.join('\n')}\n` };
}

export async function renderPage(prom: Prom, own: Registry, app: readonly Snapshot[], openMetrics: boolean): Promise<{ contentType: string; body: string }> {
  return renderJson(await pageJson(prom, own, app), openMetrics);
}
