// App metrics as workers send them: prom-client's getMetricsAsJSON() shape.
// A worker is app code, so what it sends is validated and bounded before the
// master keeps it; a bad snapshot is refused (and counted), never thrown.

export type LabelValue = string | number;

export interface MetricValue {
  readonly value: number;
  readonly labels: Readonly<Record<string, LabelValue>>;
  /** Histograms and summaries: name_bucket, name_sum, name_count. */
  readonly metricName?: string;
}

export interface MetricJson {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  readonly aggregator: string;
  readonly values: readonly MetricValue[];
}

export type Snapshot = readonly MetricJson[];

const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const AGGREGATORS = new Set(['sum', 'first', 'min', 'max', 'average', 'omit']);
const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export const SNAPSHOT_LIMITS = { metrics: 5_000, values: 100_000 } as const;

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

function parseValue(v: unknown): MetricValue | undefined {
  if (!isObject(v) || typeof v.value !== 'number') return undefined;
  const labels: Record<string, LabelValue> = {};
  if (v.labels !== undefined) {
    if (!isObject(v.labels)) return undefined;
    for (const [k, l] of Object.entries(v.labels)) {
      if (!LABEL.test(k) || (typeof l !== 'string' && typeof l !== 'number')) return undefined;
      labels[k] = l;
    }
  }
  if (v.metricName !== undefined && (typeof v.metricName !== 'string' || !NAME.test(v.metricName))) return undefined;
  return v.metricName === undefined ? { value: v.value, labels } : { value: v.value, labels, metricName: v.metricName };
}

/**
 * The snapshot, or why it was refused. previous: the same worker's last
 * snapshot. A worker pushes its whole registry each interval though few
 * series moved; a value at the same place with the same metricName and labels
 * as there is taken from it (the very object when the number is the same, else
 * a new one with its labels object and series key): those labels were checked
 * when first seen, and the merge and the page keep keys and label text per
 * object (seriesKey, render.ts), so a push costs the master what changed, not
 * every series again (each push made new keys for all of them: most of the
 * master's CPU per push, in the loop a scrape waits on).
 */
export function parseSnapshot(raw: unknown, previous?: Snapshot): { ok: true; snapshot: MetricJson[] } | { ok: false; error: string } {
  if (!Array.isArray(raw)) return { ok: false, error: 'not an array of metrics' };
  if (raw.length > SNAPSHOT_LIMITS.metrics) return { ok: false, error: `more than ${SNAPSHOT_LIMITS.metrics} metrics` };
  const out: MetricJson[] = [];
  let count = 0;
  for (let i = 0; i < raw.length; i++) {
    const m: unknown = raw[i];
    if (!isObject(m) || typeof m.name !== 'string' || !NAME.test(m.name) || typeof m.type !== 'string' || !TYPES.has(m.type) || !Array.isArray(m.values)) {
      return { ok: false, error: 'a metric without a valid name, type or values' };
    }
    count += m.values.length;
    if (count > SNAPSHOT_LIMITS.values) return { ok: false, error: `more than ${SNAPSHOT_LIMITS.values} series` };
    const before = previous?.[i]?.name === m.name ? previous[i]!.values : undefined;
    const values: MetricValue[] = [];
    for (let j = 0; j < m.values.length; j++) {
      const v: unknown = m.values[j];
      const parsed = (before && reuse(v, before[j])) ?? parseValue(v);
      if (!parsed) return { ok: false, error: `metric ${m.name}: a value without a number or with bad labels` };
      values.push(parsed);
    }
    const aggregator = typeof m.aggregator === 'string' && AGGREGATORS.has(m.aggregator) ? m.aggregator : 'sum';
    out.push({ name: m.name, help: typeof m.help === 'string' ? m.help.slice(0, 1024) : '', type: m.type as MetricJson['type'], aggregator, values });
  }
  return { ok: true, snapshot: out };
}

/** v (as sent) as the same series as prev, taken from it; undefined when it is not the same series (then it is parsed afresh). */
function reuse(v: unknown, prev: MetricValue | undefined): MetricValue | undefined {
  if (prev === undefined || !isObject(v) || typeof v.value !== 'number' || v.metricName !== prev.metricName) return undefined;
  const labels = v.labels ?? {};
  if (!isObject(labels)) return undefined;
  // The same keys with the same values: as many keys, and each of prev's there with its value.
  let n = 0;
  for (const k in labels) {
    if (labels[k] !== prev.labels[k]) return undefined;
    n++;
  }
  let m = 0;
  for (const _ in prev.labels) m++;
  if (n !== m) return undefined;
  if (v.value === prev.value) return prev;
  const next: MetricValue = prev.metricName === undefined ? { value: v.value, labels: prev.labels } : { value: v.value, labels: prev.labels, metricName: prev.metricName };
  const key = KEYS.get(prev);
  if (key !== undefined) KEYS.set(next, key);
  return next;
}

// A value's key, made once per value object: a worker that did not push since
// the last merge brings the same objects, so only a pushed snapshot's values
// (and each value once) pay for the string. Values are never mutated.
const KEYS = new WeakMap<MetricValue, string>();

/** metricName and labels (keys sorted; 1 and "1" are one series, as in prom-client's hashObject). */
export function seriesKey(v: MetricValue): string {
  const cached = KEYS.get(v);
  if (cached !== undefined) return cached;
  const keys = Object.keys(v.labels);
  if (keys.length > 1) keys.sort();
  let key = v.metricName ?? '';
  for (const k of keys) key += `\u0000${k}\u0001${String(v.labels[k])}`;
  KEYS.set(v, key);
  return key;
}

/** Counters and histograms summed across workers: the part of a snapshot that must never go backwards. */
export function isMonotonic(m: MetricJson): boolean {
  return (m.type === 'counter' || m.type === 'histogram') && m.aggregator === 'sum';
}

/**
 * Adds the monotonic series of `add` to `base` (both snapshots): what an exited
 * worker had counted stays in the sum, so a scrape after its death reads no
 * less than one before (Prometheus would read a drop as a counter reset).
 */
export function accumulate(base: Snapshot, add: Snapshot): MetricJson[] {
  const byName = new Map<string, { metric: MetricJson; series: Map<string, MetricValue> }>();
  for (const m of base) byName.set(m.name, { metric: m, series: new Map(m.values.map((v) => [seriesKey(v), v])) });
  for (const m of add) {
    if (!isMonotonic(m)) continue;
    let entry = byName.get(m.name);
    if (!entry) byName.set(m.name, (entry = { metric: m, series: new Map() }));
    else if (entry.metric.type !== m.type) continue;
    for (const v of m.values) {
      const key = seriesKey(v);
      const prev = entry.series.get(key);
      entry.series.set(key, prev ? { ...v, value: prev.value + v.value } : v);
    }
  }
  return [...byName.values()].map(({ metric, series }) => ({ ...metric, values: [...series.values()] }));
}

/** Adds a label to every series (per-worker series: worker="<slot>"); with keep, a label the series has already stays. */
export function withLabel(snapshot: Snapshot, name: string, value: string, keep = false): MetricJson[] {
  return snapshot.map((m) => ({
    ...m,
    values: m.values.map((v) => ({ ...v, labels: keep ? { [name]: value, ...v.labels } : { ...v.labels, [name]: value } })),
  }));
}
