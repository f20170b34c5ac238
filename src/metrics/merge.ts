// The workers' snapshots merged by prom-client's rules (AggregatorRegistry.aggregate):
// per family, the first snapshot's type, help and aggregator; series grouped by
// metricName and labels; counters and histogram buckets summed, gauges by their
// aggregator ('omit' leaves the family out). Done here on plain objects, without
// building a prom-client Registry per scrape: that was most of a scrape's CPU.
import { seriesKey, type MetricJson, type MetricValue, type Snapshot } from './snapshot.js';

type Aggregate = (values: readonly number[]) => number;

const AGGREGATE: Readonly<Record<string, Aggregate | undefined>> = {
  sum: (v) => v.reduce((a, b) => a + b, 0),
  first: (v) => v[0]!,
  average: (v) => v.reduce((a, b) => a + b, 0) / v.length,
  min: (v) => v.reduce((a, b) => Math.min(a, b), Infinity),
  max: (v) => v.reduce((a, b) => Math.max(a, b), -Infinity),
};

interface Group {
  readonly first: MetricValue;
  readonly values: number[];
}

/**
 * labelsOf: the labels a merged series is written with (its first worker's,
 * by default); given the family and the series key, a caller can hand back the
 * same object at every merge (render.ts keeps label text per object).
 */
export function mergeSnapshots(snapshots: readonly Snapshot[], labelsOf?: (family: string, key: string, labels: MetricValue['labels']) => MetricValue['labels']): MetricJson[] {
  const families = new Map<string, { head: MetricJson; groups: Map<string, Group> }>();
  for (const snapshot of snapshots) {
    for (const m of snapshot) {
      let family = families.get(m.name);
      if (!family) families.set(m.name, (family = { head: m, groups: new Map() }));
      for (const v of m.values) {
        const key = seriesKey(v);
        const g = family.groups.get(key);
        if (g) g.values.push(v.value);
        else family.groups.set(key, { first: v, values: [v.value] });
      }
    }
  }
  const out: MetricJson[] = [];
  for (const { head, groups } of families.values()) {
    const aggregate = AGGREGATE[head.aggregator];
    if (!aggregate) continue; // 'omit' (snapshot.ts admits no other name)
    const values: MetricValue[] = [];
    for (const [key, { first, values: xs }] of groups) {
      const value = xs.length === 1 ? xs[0]! : aggregate(xs);
      const labels = labelsOf ? labelsOf(head.name, key, first.labels) : first.labels;
      values.push(first.metricName === undefined ? { value, labels } : { value, labels, metricName: first.metricName });
    }
    out.push({ name: head.name, help: head.help, type: head.type, aggregator: head.aggregator, values });
  }
  return out;
}
