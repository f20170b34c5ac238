// drover's own processes keep a V8 compile cache in DROVER_HOME/cache where
// Node has one (>= 22.1), private to the owner; the app's workers never use it.
// The code cache of the CLI's spec bundle is there on every Node (on Node 20,
// it is all there is).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { cli, get, makeHome, ok, portOf, APP, waitFor } from '../helpers/daemon.js';
import { NODE24 } from '../helpers/paths.js';

function hasCompileCache(node) {
  const r = spawnSync(node, ['-p', "typeof require('node:module').enableCompileCache"], { encoding: 'utf8', timeout: 10_000 });
  return r.stdout.trim() === 'function';
}

function cachedFiles(dir) {
  if (!existsSync(dir)) return 0;
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length;
}

for (const [label, node] of [
  [`this Node (${process.version})`, process.execPath],
  ['Node 24 from .cache/node24', NODE24],
]) {
  const skip = existsSync(node) ? false : `Node 24 not found at ${NODE24} (.ci/run installs it)`;
  test(`compile cache, ${label}: in DROVER_HOME/cache (0700) where Node has one, used by the next CLI run, never by workers`, { skip }, async (t) => {
    const supported = hasCompileCache(node);
    const home = makeHome(t);
    const cache = path.join(home, 'cache');
    await ok(home, ['start', APP, '--name', 'cc'], { node, env: { PORT: '0' } });
    const body = await get(await portOf(home, 'cc'));
    assert.equal(body.compileCache, null, "a worker runs the app without drover's compile cache");
    if (!supported) {
      // Node 20: only the V8 code cache of the CLI's spec bundle (runtime/code-cache.ts), written when the CLI exits.
      await waitFor(() => existsSync(cache) && readdirSync(cache).length > 0, { timeoutMs: 10_000, message: `the spec bundle's code cache in ${cache}` });
      assert.equal(statSync(cache).mode & 0o077, 0, `${cache} must be private to its owner`);
      assert.deepEqual(readdirSync(cache).filter((f) => !/^resolve-bundle\.js-v[\d.]+-\d+-\d+\.v8$/.test(f)), [], `${node} has no compile cache API: ${cache} holds only the spec bundle's code cache`);
      return;
    }
    assert.equal(statSync(cache).mode & 0o077, 0, `${cache} must be private to its owner`);
    // The CLI writes its entries when it exits; the daemon and the master 3 s after their imports.
    await waitFor(() => cachedFiles(cache) > 10, { timeoutMs: 10_000, message: `compiled modules in ${cache}` });
    // The compile cache holds the bundle as compiled, before it ran: the CLI keeps the bundle's own code cache beside it (runtime/code-cache.ts).
    await waitFor(() => readdirSync(cache).some((f) => /^resolve-bundle\.js-v[\d.]+-\d+-\d+\.v8$/.test(f)), { timeoutMs: 10_000, message: `the spec bundle's code cache in ${cache}` });
    const r = await cli(home, ['list'], { node, env: { NODE_DEBUG_NATIVE: 'COMPILE_CACHE' } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /V8 code cache for ESM file:\/\/\S+\/dist\/cli\/prestart\.js was accepted/, 'the second CLI run reads the cache');
  });
}
