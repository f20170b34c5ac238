// An app master stays light (issue 17: ≤ 10 MB of private memory): what it
// loads at start, the static import graph of its entry point in dist/, must not
// reach the heavy packages; those load by dynamic import when an option or a
// reload needs them (zod alone is ~8 MB of USS, pino ~2.6 MB).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../helpers/drover.js';

const HEAVY = ['zod', 'pino', 'chokidar', 'croner', 'picomatch'];

/** Static specifiers only (`import … from`, `export … from`, `import '…'`): what loads before any code runs. */
function staticImports(source) {
  const specs = [];
  for (const re of [/^\s*(?:import|export)\b[^'"()]*?\bfrom\s*['"]([^'"]+)['"]/gms, /^\s*import\s*['"]([^'"]+)['"]/gm]) {
    for (const m of source.matchAll(re)) specs.push(m[1]);
  }
  return specs;
}

/** Packages reached from `entry` through static imports, with the chain that reaches each. */
function reachedPackages(entry) {
  const seen = new Set();
  const found = new Map();
  const queue = [[entry, [path.relative(ROOT, entry)]]];
  while (queue.length) {
    const [file, chain] = queue.shift();
    if (seen.has(file)) continue;
    seen.add(file);
    for (const spec of staticImports(readFileSync(file, 'utf8'))) {
      if (spec.startsWith('.')) {
        const next = path.resolve(path.dirname(file), spec);
        queue.push([next, [...chain, path.relative(ROOT, next)]]);
      } else if (!spec.startsWith('node:') && !found.has(spec)) found.set(spec, chain);
    }
  }
  return found;
}

test('the static import parser ignores dynamic imports', () => {
  const src = "import { a } from './a.js';\nexport { b } from './b.js';\nimport './c.js';\nconst z = await import('zod');\n";
  assert.deepEqual(staticImports(src), ['./a.js', './b.js', './c.js']);
});

// The entry points only set up the compile cache, then import these.
for (const entry of ['dist/daemon/app-master-process.js', 'dist/daemon/daemon-process.js']) {
  test(`${entry} loads none of ${HEAVY.join(', ')} at start`, () => {
    const reached = reachedPackages(path.join(ROOT, entry));
    const offences = HEAVY.filter((p) => reached.has(p)).map((p) => `${p} via ${reached.get(p).join(' → ')}`);
    assert.deepEqual(offences, []);
  });
}

/** drover's own files reached from `entry` through static imports, relative to dist/. */
function reachedFiles(entry) {
  const seen = new Set();
  const queue = [path.join(ROOT, entry)];
  while (queue.length) {
    const file = queue.shift();
    if (seen.has(file)) continue;
    seen.add(file);
    for (const spec of staticImports(readFileSync(file, 'utf8'))) if (spec.startsWith('.')) queue.push(path.resolve(path.dirname(file), spec));
  }
  return [...seen].map((f) => path.relative(path.join(ROOT, 'dist'), f));
}

// Each of drover's own modules costs an app master memory too (measured with
// smaps_rollup: ~4.7 MB of USS for the ~80 modules it loads at start, the
// message hub alone 1.2 MB). The CLI or the daemon validates the options and
// hands the master a resolved spec; HTTP, metrics and the CLI load on demand.
test('an app master loads no CLI, HTTP, metrics or log-reading module and no option schema at start', () => {
  const files = reachedFiles('dist/daemon/app-master-process.js');
  // size.js and worker-count.js are small and zod-free (the master parses sizes and checks scale counts).
  const allowedConfig = new Set(['config/size.js', 'config/worker-count.js']);
  // logs/index.js re-exports the log readers (tail, follow) of `drover logs`: the master imports app-log.js itself.
  const readers = new Set(['logs/index.js', 'logs/tail.js']);
  const offences = files.filter((f) => /^(cli|http|metrics)\//.test(f) || (f.startsWith('config/') && !allowedConfig.has(f)) || f === 'state/redis-backend.js' || readers.has(f));
  assert.deepEqual(offences, []);
  assert.ok(files.includes('runtime/supervisor.js'), 'the walk reaches the supervisor (the parser still works)');
});
