import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { preloadArgs, PRELOAD_CJS_PATH, PRELOAD_PATH } from '../../dist/runtime/preload-flag.js';

test('the CommonJS build is preloaded with --require when it is built (npm run build), else the ESM one with --import', () => {
  const expected = existsSync(PRELOAD_CJS_PATH) ? ['--require', PRELOAD_CJS_PATH] : ['--import', PRELOAD_PATH];
  assert.deepEqual(preloadArgs(), expected);
  assert.equal(preloadArgs(), preloadArgs(), 'looked up once');
});
