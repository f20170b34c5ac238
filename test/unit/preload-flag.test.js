import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { isCommonJs } from '../../dist/runtime/preload-flag.js';

const files = (map) => (file) => map[file];
const root = path.resolve('/srv/app');

test('.cjs is CommonJS and .mjs never, whatever package.json says', () => {
  const read = files({ [path.join(root, 'package.json')]: '{"type":"module"}' });
  assert.equal(isCommonJs(path.join(root, 'a.cjs'), read), true);
  assert.equal(isCommonJs(path.join(root, 'a.mjs'), files({ [path.join(root, 'package.json')]: '{}' })), false);
  assert.equal(isCommonJs(path.join(root, 'a.ts'), read), false);
});

test('.js follows the nearest package.json: type module → ESM, otherwise CommonJS', () => {
  const nested = path.join(root, 'lib', 'server.js');
  assert.equal(isCommonJs(nested, files({ [path.join(root, 'package.json')]: '{"type":"module"}' })), false);
  assert.equal(isCommonJs(nested, files({ [path.join(root, 'package.json')]: '{"type":"commonjs"}' })), true);
  assert.equal(isCommonJs(nested, files({ [path.join(root, 'package.json')]: '{"name":"x"}' })), true);
  // The nearest one wins.
  assert.equal(isCommonJs(nested, files({ [path.join(root, 'lib', 'package.json')]: '{}', [path.join(root, 'package.json')]: '{"type":"module"}' })), true);
  // No package.json up to the root: CommonJS, as Node.
  assert.equal(isCommonJs(nested, files({})), true);
  // A broken one: the ESM path (Node reports it).
  assert.equal(isCommonJs(nested, files({ [path.join(root, 'package.json')]: '{' })), false);
});
