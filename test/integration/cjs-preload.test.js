// Every app, CommonJS or ES module, gets the worker runtime's CommonJS build
// with --require (src/runtime/preload-flag.ts), and that build does the
// runtime's work: listen through the master, announce a crash so the master
// replaces it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture, runDrover, ROOT } from '../helpers/drover.js';
import { request } from '../helpers/http.js';
import { waitFor } from '../helpers/wait.js';
import path from 'node:path';

for (const [file, kind] of [
  ['cjs-app.cjs', 'cjs'],
  ['esm-app.mjs', 'esm'],
]) {
  test(`a ${path.extname(file)} app is preloaded with --require, serves on the shared port, and a crash is replaced`, async (t) => {
    const d = runDrover(t, [fixture(file), '-i', '2'], { env: { PORT: '0' } });
    const port = await d.ready();
    const who = JSON.parse((await request({ port })).body);
    assert.equal(who[kind], true);
    assert.deepEqual(who.execArgv.slice(0, 2), ['--require', path.join(ROOT, 'dist/cjs/worker/preload.js')]);
    assert.ok(d.workerPids().includes(who.pid));

    // The request that throws: the runtime catches it, tells the master, and a replacement comes.
    await request({ port, path: '/crash' }).catch(() => {});
    await waitFor(() => d.events('crash').length >= 1 && d.events('fork').length >= 3, { message: 'a crash and its replacement', timeoutMs: 30_000 });
    await waitFor(async () => (await request({ port }).catch(() => undefined))?.status === 200, { message: 'served after the crash' });

    d.signal('SIGTERM');
    assert.equal((await d.wait()).code, 0);
    await d.assertNothingLeft();
  });
}
