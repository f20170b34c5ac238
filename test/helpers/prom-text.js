// A small parser of the Prometheus text format (0.0.4), strict enough to fail
// a test on a malformed page: every sample line is checked, every family's
// TYPE comes before its samples, and no series appears twice.
const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+-?\d+)?$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)/y;

function parseLabels(text, line) {
  const labels = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const start = LABEL.lastIndex;
    const m = LABEL.exec(text);
    if (!m || m.index !== start) throw new Error(`bad labels in: ${line}`);
    if (m[1] in labels) throw new Error(`label ${m[1]} twice in: ${line}`);
    labels[m[1]] = m[2].replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
  }
  return labels;
}

// Prometheus parses values with Go's strconv.ParseFloat: Inf and NaN in any case (prom-client writes "Nan").
function parseValue(text, line) {
  if (/^\+?inf$/i.test(text)) return Infinity;
  if (/^-inf$/i.test(text)) return -Infinity;
  if (/^nan$/i.test(text)) return NaN;
  const v = Number(text);
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text) || Number.isNaN(v)) throw new Error(`bad value in: ${line}`);
  return v;
}

const SUFFIXES = { histogram: ['_bucket', '_sum', '_count'], summary: ['', '_sum', '_count'] };

/** Returns { families: Map<name, {type, help}>, samples: [{name, labels, value}] }; throws on a malformed page. */
export function parsePrometheus(text) {
  const families = new Map();
  const samples = [];
  const seen = new Set();
  if (!text.endsWith('\n')) throw new Error('the page must end with a newline');
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) continue;
      if (!NAME.test(m[2])) throw new Error(`bad metric name: ${line}`);
      const f = families.get(m[2]) ?? { type: 'untyped', help: '', samples: 0 };
      if (m[1] === 'TYPE') {
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(m[3])) throw new Error(`bad type: ${line}`);
        if (f.samples > 0) throw new Error(`TYPE after samples: ${line}`);
        f.type = m[3];
      } else f.help = m[3];
      families.set(m[2], f);
      continue;
    }
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`bad sample line: ${line}`);
    const labels = m[3] ? parseLabels(m[3], line) : {};
    const value = parseValue(m[4], line);
    const key = `${m[1]}{${Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(',')}}`;
    if (seen.has(key)) throw new Error(`series twice: ${key}`);
    seen.add(key);
    const family = [...families.entries()].find(([name, f]) => name === m[1] || (SUFFIXES[f.type] ?? []).some((s) => `${name}${s}` === m[1]));
    if (family) family[1].samples++;
    samples.push({ name: m[1], labels, value });
  }
  return { families, samples };
}

/** The value of the one sample with this name whose labels include `labels`, or undefined. */
export function sample(page, name, labels = {}) {
  const found = page.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === String(v)));
  if (found.length > 1) throw new Error(`${found.length} samples match ${name} ${JSON.stringify(labels)}`);
  return found[0]?.value;
}
