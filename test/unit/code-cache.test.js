// requireCached (runtime/code-cache.ts): a CommonJS file runs with V8's code
// cache from DROVER_HOME/cache, written at the first process's exit and read
// by the next, on every Node version (the compile cache of Node >= 22.1 holds
// a file's code as compiled, before it ran); the exports are require's; a
// home that does not exist gets no cache; a file of another build gets a
// cache of its own and the old one goes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const MODULE = pathToFileURL(path.resolve('dist/runtime/code-cache.js')).href;

function tempHome(t) {
  const home = mkdtempSync(path.join(os.tmpdir(), 'drover-code-cache-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  return home;
}

/** In a fresh process: requireCached(file) with the home's paths; prints the exports' answer as JSON. */
function load(home, file, env = {}) {
  const script = `const { requireCached } = await import(${JSON.stringify(MODULE)}); const m = requireCached(${JSON.stringify(file)}, { home: ${JSON.stringify(home)}, cache: ${JSON.stringify(path.join(home, 'cache'))} }); console.log(JSON.stringify(m.answer(2)));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, ...env } });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

function writeModule(dir, body) {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'mod.js');
  writeFileSync(file, `'use strict';\nconst path = require('node:path');\nexports.answer = (n) => ({ n: n * 21, base: path.basename(__filename), dir: __dirname, main: module.exports === exports, ${body} });\n`);
  return file;
}

test('the exports are those require gives (exports, require, module, __filename, __dirname)', (t) => {
  const home = tempHome(t);
  const file = writeModule(path.join(home, 'src'), "tag: 'a'");
  assert.deepEqual(load(home, file), { n: 42, base: 'mod.js', dir: path.join(home, 'src'), main: true, tag: 'a' });
});

test('the cache is written at exit, private, and the next process leaves it as it is', (t) => {
  const home = tempHome(t);
  const cache = path.join(home, 'cache');
  const file = writeModule(path.join(home, 'src'), "tag: 'a'");
  load(home, file);
  const files = readdirSync(cache);
  assert.equal(files.length, 1, files.join(','));
  assert.match(files[0], /^mod\.js-v[\d.]+-\d+-\d+\.v8$/);
  assert.equal(statSync(cache).mode & 0o077, 0, 'the cache directory is private');
  assert.equal(statSync(path.join(cache, files[0])).mode & 0o077, 0, 'the cache file is private');
  const before = statSync(path.join(cache, files[0])).mtimeMs;
  assert.deepEqual(load(home, file), { n: 42, base: 'mod.js', dir: path.join(home, 'src'), main: true, tag: 'a' });
  assert.deepEqual(readdirSync(cache), files);
  assert.equal(statSync(path.join(cache, files[0])).mtimeMs, before, 'an accepted cache is not written again');
});

test('a rebuilt file gets its own cache and runs its own code; the old cache goes', (t) => {
  const home = tempHome(t);
  const cache = path.join(home, 'cache');
  const file = writeModule(path.join(home, 'src'), "tag: 'a'");
  load(home, file);
  const [first] = readdirSync(cache);
  // Same length, other code, other mtime: V8 alone would take the old data (it checks the length).
  writeModule(path.join(home, 'src'), "tag: 'b'");
  utimesSync(file, new Date(), new Date(Date.now() + 5_000));
  assert.equal(load(home, file).tag, 'b');
  const after = readdirSync(cache);
  assert.equal(after.length, 1, after.join(','));
  assert.notEqual(after[0], first);
});

test('no cache without a home, nor with NODE_DISABLE_COMPILE_CACHE=1', (t) => {
  const dir = tempHome(t);
  const file = writeModule(path.join(dir, 'src'), "tag: 'a'");
  const missing = path.join(dir, 'no-home');
  assert.equal(load(missing, file).tag, 'a');
  assert.equal(existsSync(missing), false, 'a home is not created for the cache');
  assert.equal(load(dir, file, { NODE_DISABLE_COMPILE_CACHE: '1' }).tag, 'a');
  assert.equal(existsSync(path.join(dir, 'cache')), false);
});
