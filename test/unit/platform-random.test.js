// platform/random.ts: random bytes for tokens without node:crypto (issue 17).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ROOT } from '../helpers/drover.js';
import { randomBytes } from '../../dist/platform/random.js';

test('randomBytes gives n bytes, different each call', () => {
  for (const n of [1, 4, 24, 4096]) assert.equal(randomBytes(n).length, n);
  const seen = new Set(Array.from({ length: 64 }, () => randomBytes(16).toString('hex')));
  assert.equal(seen.size, 64);
  // Every byte value turns up in 64 KB (a stuck or zero-filled buffer would fail).
  assert.equal(new Set(randomBytes(65536)).size, 256);
});

test('randomBytes does not load node:crypto', () => {
  const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(path.join(ROOT, 'dist/cjs/platform/random.js'))}).randomBytes(24); process.stdout.write(JSON.stringify(process.moduleLoadList))`], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const list = JSON.parse(r.stdout);
  assert.ok(!list.includes('NativeModule crypto'), 'node:crypto not loaded');
});
