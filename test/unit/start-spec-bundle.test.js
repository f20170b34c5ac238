// The CommonJS bundle `drover start <script>` loads for its spec
// (dist/cjs/config/resolve-bundle.js, scripts/build-cjs-preload.js) leaves
// zod's locales out (issue 17: 405 KB of 1.1 MB, parsed on every start):
// they load from zod's own files if ever used, and drover's messages are
// the ones the ES module build gives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { resolveSpec } from '../../dist/config/resolve.js';

const BUNDLE = path.resolve('dist/cjs/config/resolve-bundle.js');
const app = path.resolve('examples/hello.js');

test('no locale module of zod is in the bundle', () => {
  const text = readFileSync(BUNDLE, 'utf8');
  assert.doesNotMatch(text, /zod\/v4\/locales\/(de|fr|ja)\.cjs": function/);
  assert.match(text, /zod\/v4\/locales\/en\.cjs": function/, "zod's default (English) messages stay in");
});

test('the bundle loads without zod locales, and its errors are the ES module build\'s', () => {
  const out = execFileSync(process.execPath, ['-e', `require(${JSON.stringify(BUNDLE)}); console.log(JSON.stringify(Object.keys(require.cache)))`], { encoding: 'utf8' });
  assert.deepEqual(JSON.parse(out).filter((f) => f.includes(`${path.sep}zod${path.sep}`)), []);
  const bundle = createRequire(import.meta.url)(BUNDLE);
  for (const bad of [{ instances: 'lots' }, { killTimeoutMs: -5 }, { balance: 'nope' }, { maxMemory: '12 parsecs' }]) {
    const options = { script: app, name: 'a', cwd: process.cwd(), ...bad };
    const message = (fn) => {
      try {
        fn();
      } catch (err) {
        return `${err.code}: ${err.message}`;
      }
      return 'no error';
    };
    const want = message(() => resolveSpec(options, 'command line'));
    assert.notEqual(want, 'no error');
    assert.equal(message(() => bundle.resolveSpec(options, 'command line')), want);
  }
});

test('the locales left out still load on first use', () => {
  const out = execFileSync(process.execPath, ['-e', `const m = require(${JSON.stringify(BUNDLE)}); console.log('ok')`], { encoding: 'utf8' });
  assert.equal(out.trim(), 'ok');
  // The stub's specifier resolves from the bundle's place (the package's own file).
  assert.ok(createRequire(BUNDLE).resolve('zod/v4/locales').endsWith(path.join('zod', 'v4', 'locales', 'index.cjs')));
});
