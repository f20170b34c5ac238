// The spec `drover start <script>` hands a new master, from the one-file
// CommonJS build of config/resolve.ts and zod (cli/spec-hint.ts): the same
// spec as the ES module build resolves, and none for options that fail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { resolvedOrNone } from '../../dist/cli/spec-hint.js';
import { resolveSpec } from '../../dist/config/resolve.js';

const app = path.resolve('examples/hello.js');
const plain = (v) => JSON.parse(JSON.stringify(v));

test('the build holds the bundle (npm run build)', () => {
  assert.ok(existsSync(path.resolve('dist/cjs/config/resolve-bundle.js')));
});

test('the same spec as resolveSpec of the ES module build', async () => {
  for (const options of [
    { script: app, name: 'a', cwd: process.cwd(), instances: 2 },
    { script: app, name: 'b', cwd: process.cwd(), instances: 'max', balance: 'least-connections', env: { A: '1' }, args: ['x'], maxMemory: '200M', nodeArgs: ['--max-old-space-size=64'] },
    { script: app, name: 'c', cwd: process.cwd(), restartDelayMs: 500, killTimeoutMs: 3000, readyOn: 'listen', cronRestart: '0 3 * * *' },
  ]) {
    assert.deepEqual(plain(await resolvedOrNone(options)), plain(resolveSpec(options, 'options')), JSON.stringify(options));
  }
});

test('options that do not resolve: no spec (the master refuses the start and says why)', async () => {
  assert.throws(() => resolveSpec({ script: app, name: 'd', cwd: process.cwd(), cronRestart: 'not a cron' }, 'options'), { code: 'DROVER_E_INVALID_OPTION' });
  assert.equal(await resolvedOrNone({ script: app, name: 'd', cwd: process.cwd(), cronRestart: 'not a cron' }), undefined);
  assert.equal(await resolvedOrNone({ script: app, name: 'e', cwd: process.cwd(), instances: -3 }), undefined);
});
