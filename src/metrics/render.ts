// One page of metrics: drover's own families and the merged app metrics, in
// the Prometheus text format, or OpenMetrics when the scraper asks for it.
import type { MetricJson, MetricValue, Snapshot } from './snapshot.js';

export function wantsOpenMetrics(accept: string | undefined): boolean {
  return accept !== undefined && /application\/openmetrics-text/i.test(accept);
}

/** drover's families first; an app family named like one of them would make the page invalid, so it is left out. */
export function withoutClashes(own: Snapshot, other: Snapshot): MetricJson[] {
  const taken = new Set(own.map((m) => m.name));
  return [...own, ...other.filter((m) => !taken.has(m.name))];
}

export const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';
export const OPENMETRICS_TEXT = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

const escapeHelp = (s: string) => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const escapeLabel = (s: string) => escapeHelp(s).replace(/"/g, '\\"');

// NaN (prom-client's event-loop figures before their first sample) becomes null in JSON, the way a master's families reach the daemon.
function formatValue(v: number | null): string {
  if (v === null || Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function formatLabels(labels: MetricValue['labels']): string {
  const parts: string[] = [];
  for (const k in labels) parts.push(`${k}="${escapeLabel(String(labels[k]))}"`);
  return parts.length > 0 ? `{${parts.join(',')}}` : '';
}

// A series' label text, kept per labels object for families whose labels
// objects live on: the merged app series keep theirs from one merge to the next
// (app-metrics.ts), so a page made again after a push escapes only the labels of
// series that are new. Labels objects are never changed once made (they come
// from JSON.parse or are made by drover).
const LABEL_TEXT = new WeakMap<MetricValue['labels'], string>();

function keptLabels(labels: MetricValue['labels']): string {
  let text = LABEL_TEXT.get(labels);
  if (text === undefined) LABEL_TEXT.set(labels, (text = formatLabels(labels)));
  return text;
}

/**
 * The families' lines, written straight from the merged JSON (each name once):
 * a second pass through prom-client's registry cost more CPU per scrape than
 * the merge itself. OpenMetrics: a counter's family is named without `_total`,
 * its samples with it. Families render independently, so a part of the page
 * that has not changed can be kept as text. keepLabelText: keep each labels
 * object's text for the next page (only for labels objects that live on).
 */
export function renderFamilies(families: Snapshot, openMetrics: boolean, keepLabelText = false): string {
  const labelsText = keepLabelText ? keptLabels : formatLabels;
  let out = '';
  for (const m of families) {
    const family = openMetrics && m.type === 'counter' ? m.name.replace(/_total$/, '') : m.name;
    out += `# HELP ${family} ${escapeHelp(m.help)}\n# TYPE ${family} ${m.type}\n`;
    for (const v of m.values) {
      const name = v.metricName ?? (openMetrics && m.type === 'counter' ? `${family}_total` : m.name);
      out += `${name}${labelsText(v.labels)} ${formatValue(v.value)}\n`;
    }
  }
  return out;
}

export const contentTypeOf = (openMetrics: boolean): string => (openMetrics ? OPENMETRICS_TEXT : PROMETHEUS_TEXT);

/** A whole page from its parts' text; OpenMetrics ends with `# EOF`. */
export function page(parts: readonly string[], openMetrics: boolean): { contentType: string; body: string } {
  const body = parts.join('') + (openMetrics ? '# EOF\n' : '');
  return { contentType: contentTypeOf(openMetrics), body };
}

export function renderJson(families: Snapshot, openMetrics: boolean): { contentType: string; body: string } {
  return page([renderFamilies(families, openMetrics)], openMetrics);
}
