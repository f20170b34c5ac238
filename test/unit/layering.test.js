// Dependencies run one way (docs/architecture.md): the low folders import
// nothing from the daemon or the app master's shell. Read from the sources'
// import lines (static, dynamic, type-only and re-exports alike).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../helpers/drover.js';

const SRC = path.join(ROOT, 'src');
const LOW = ['control', 'logs', 'messaging', 'core', 'protocol', 'platform', 'state'];
const HIGH = ['daemon', 'runtime'];

function tsFiles(dir) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.join(e.parentPath ?? e.path, e.name));
}

/** Module specifiers of `import … from '…'`, `export … from '…'`, `import '…'` and `import('…')`. */
export function importsOf(source) {
  const specs = [];
  const patterns = [/^\s*(?:import|export)\b[^'"]*?\bfrom\s*['"]([^'"]+)['"]/gms, /^\s*import\s*['"]([^'"]+)['"]/gm, /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const re of patterns) for (const m of source.matchAll(re)) specs.push(m[1]);
  return specs;
}

test('the import parser sees every form of import', () => {
  const src = [
    "import { a } from '../daemon/a.js';",
    "import type { B } from '../runtime/b.js';",
    'import {\n  c,\n  d,\n} from "../daemon/c.js";',
    "export { e } from '../daemon/e.js';",
    "import '../runtime/side-effect.js';",
    "const m = await import('../daemon/lazy.js');",
  ].join('\n');
  assert.deepEqual(importsOf(src).sort(), ['../daemon/a.js', '../daemon/c.js', '../daemon/e.js', '../daemon/lazy.js', '../runtime/b.js', '../runtime/side-effect.js']);
});

test(`${LOW.join(', ')} import nothing from ${HIGH.join(' or ')}`, () => {
  const offences = [];
  for (const folder of LOW) {
    for (const file of tsFiles(path.join(SRC, folder))) {
      for (const spec of importsOf(readFileSync(file, 'utf8'))) {
        if (!spec.startsWith('.')) continue;
        const target = path.relative(SRC, path.resolve(path.dirname(file), spec));
        const top = target.split(path.sep)[0];
        if (HIGH.includes(top)) offences.push(`${path.relative(ROOT, file)} imports ${spec}`);
      }
    }
  }
  assert.deepEqual(offences, []);
});
