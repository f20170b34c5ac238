import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findConfigFile, isConfigFileName } from '../../dist/config/load.js';
import { resolveSpec } from '../../dist/config/resolve.js';
import { typeStripping } from '../../dist/config/typescript.js';
import { configFixture as fx, loadConfig as load } from '../helpers/config.js';
import { tempDir } from '../helpers/tmp.js';

async function rejectsConfig(promise, ...patterns) {
  const err = await promise.then(
    () => assert.fail('expected a DROVER_E_CONFIG error'),
    (e) => e,
  );
  assert.equal(err.code, 'DROVER_E_CONFIG', err.stack);
  assert.equal(err.exitCode, 78);
  for (const p of patterns) assert.match(err.message, p);
  return err;
}

function typeScriptLoadable() {
  if (process.features.typescript) return true;
  if (typeStripping() !== 'none') return true;
  for (const from of [fx('formats', 'x.js'), fileURLToPath(import.meta.url)]) {
    try {
      createRequire(from).resolve('tsx/esm/api');
      return true;
    } catch {}
  }
  return false;
}

const EXPECTED = [
  { name: 'api', script: 'server.js', instances: 2, env: { PORT: '3000' }, cwd: fx('formats').replace(/\/$/, '') },
  { name: 'worker', script: 'worker.js', restart: 'on-failure', killTimeoutMs: 2000, env: {}, cwd: fx('formats').replace(/\/$/, '') },
];

for (const ext of ['json', 'yaml', 'mjs', 'js', 'cjs']) {
  test(`drover.config.${ext} loads the same apps`, async () => {
    const r = await load(fx('formats', `drover.config.${ext}`));
    assert.equal(r.format, 'drover');
    assert.equal(r.file, fx('formats', `drover.config.${ext}`));
    assert.deepEqual(r.warnings, []);
    assert.deepEqual(r.apps, EXPECTED);
  });
}

for (const ext of ['ts', 'mts']) {
  test(`drover.config.${ext}: loads with type stripping or tsx, or says what is missing`, async () => {
    const p = load(fx('formats', `drover.config.${ext}`));
    if (typeScriptLoadable()) {
      const r = await p;
      assert.deepEqual(r.apps, EXPECTED);
    } else {
      await rejectsConfig(p, /drover\.config\.[m]?ts/, /tsx/, /Node >= 22\.6/);
    }
  });
}

test('--env production applies env_production over env', async () => {
  for (const ext of ['json', 'yaml', 'cjs']) {
    const r = await load(fx('formats', `drover.config.${ext}`), { env: 'production' });
    assert.deepEqual(r.apps[0].env, { PORT: '3000', NODE_ENV: 'production' });
    assert.deepEqual(r.apps[1].env, {});
    assert.deepEqual(r.warnings, []);
  }
});

test('--env with no matching env_<name> warns', async () => {
  const r = await load(fx('formats', 'drover.config.json'), { env: 'staging' });
  assert.equal(r.warnings.length, 1);
  assert.match(r.warnings[0], /--env staging: no app defines env_staging/);
  assert.deepEqual(r.apps[0].env, { PORT: '3000' });
});

test('loaded apps pass resolveSpec() validation (schema round trip)', async () => {
  const r = await load(fx('formats', 'drover.config.json'));
  // resolveSpec checks that the script exists; only the schema part matters here.
  assert.throws(() => resolveSpec(r.apps[0]), (e) => e.code === 'DROVER_E_SCRIPT_NOT_FOUND');
});

test('a TypeScript config goes through tsx when the project has it', async (t) => {
  if (process.features.typescript) return t.skip('type stripping is on: tsx is not used');
  const dir = tempDir(t, 'drover-tsx-');
  // A stand-in for tsx's ESM API that loads the .mjs twin of the requested .ts file.
  mkdirSync(path.join(dir, 'node_modules', 'tsx'), { recursive: true });
  writeFileSync(
    path.join(dir, 'node_modules', 'tsx', 'package.json'),
    JSON.stringify({ name: 'tsx', version: '4.0.0', exports: { './esm/api': { require: './api.cjs', import: './api.cjs' } } }),
  );
  writeFileSync(
    path.join(dir, 'node_modules', 'tsx', 'api.cjs'),
    `exports.tsImport = (specifier, parent) => {
      (globalThis.__fakeTsx ??= []).push({ specifier, parent });
      return import(specifier.replace(/\\.ts(\\?.*)?$/, '.mjs'));
    };`,
  );
  writeFileSync(path.join(dir, 'drover.config.ts'), 'export default { apps: [{ script: "a.js" as string }] };\n');
  writeFileSync(path.join(dir, 'drover.config.mjs'), 'export default { apps: [{ script: "a.js", name: "via-tsx" }] };\n');
  const r = await load(path.join(dir, 'drover.config.ts'));
  assert.equal(r.apps[0].name, 'via-tsx');
  assert.equal(globalThis.__fakeTsx.length, 1);
  assert.match(globalThis.__fakeTsx[0].specifier, /^file:.*drover\.config\.ts/);
});

test('a changed JS config is read again (no stale module cache)', async (t) => {
  const dir = tempDir(t, 'drover-reload-');
  for (const [name, body] of [
    ['drover.config.mjs', (n) => `export default { apps: [{ script: 'a.js', instances: ${n} }] };`],
    ['drover.config.cjs', (n) => `module.exports = { apps: [{ script: 'a.js', instances: ${n} }] };`],
  ]) {
    const file = path.join(dir, name);
    writeFileSync(file, body(2));
    utimesSync(file, new Date(1_000_000), new Date(1_000_000));
    assert.equal((await load(file)).apps[0].instances, 2);
    writeFileSync(file, body(3));
    utimesSync(file, new Date(2_000_000), new Date(2_000_000));
    assert.equal((await load(file)).apps[0].instances, 3, name);
  }
});

test('relative cwd is resolved against the config file folder', async (t) => {
  const dir = tempDir(t, 'drover-cwd-');
  writeFileSync(path.join(dir, 'drover.config.json'), JSON.stringify({ apps: [{ script: 'a.js', cwd: 'sub' }, { script: 'b.js', cwd: '/abs' }] }));
  const r = await load(path.join(dir, 'drover.config.json'));
  assert.equal(r.apps[0].cwd, path.join(dir, 'sub'));
  assert.equal(r.apps[1].cwd, '/abs');
});

test('findConfigFile and isConfigFileName', () => {
  assert.equal(findConfigFile(fx('formats')), fx('formats', 'drover.config.ts'));
  assert.equal(findConfigFile(fx('pm2', 'cjs-scope')), fx('pm2', 'cjs-scope', 'ecosystem.config.js'));
  assert.equal(findConfigFile(fx('broken', 'pm2')), fx('broken', 'pm2', 'ecosystem.config.json'));
  assert.equal(findConfigFile(fx('envs', 'app')), undefined);
  for (const name of ['drover.config.ts', 'ecosystem.config.js', 'ecosystem.config.cjs', 'apps.json', 'x/prod.yaml', 'my.config.mjs']) {
    assert.equal(isConfigFileName(name), true, name);
  }
  for (const name of ['server.js', 'app.ts', 'index.mjs', 'worker.cjs']) assert.equal(isConfigFileName(name), false, name);
});

// ---- broken files: each one a DROVER_E_CONFIG naming the file, the key path and what is expected

test('syntax errors name the file and the line', async () => {
  await rejectsConfig(load(fx('broken', 'syntax.json')), /syntax error in .*broken\/syntax\.json:3:\d+/);
  await rejectsConfig(load(fx('broken', 'syntax.yaml')), /syntax error in .*broken\/syntax\.yaml:\d+:\d+/);
  await rejectsConfig(load(fx('broken', 'syntax.mjs')), /syntax error in .*broken\/syntax\.mjs:3\b/);
  await rejectsConfig(load(fx('broken', 'syntax.cjs')), /syntax error in .*broken\/syntax\.cjs:3\b/);
});

test('a syntax error in a TypeScript config names the line (when TypeScript can be loaded)', async () => {
  const p = load(fx('broken', 'syntax.ts'));
  if (typeScriptLoadable()) await rejectsConfig(p, /syntax error in .*broken\/syntax\.ts:2\b/);
  else await rejectsConfig(p, /tsx/);
});

test('ES module syntax in a .cjs file says what to rename', async () => {
  await rejectsConfig(load(fx('broken', 'esm-syntax.cjs')), /esm-syntax\.cjs/, /rename it to \.mjs/);
});

test('an exception while evaluating the config names the file and the line', async () => {
  await rejectsConfig(load(fx('broken', 'throws.mjs')), /cannot load .*throws\.mjs:3: config exploded/);
});

test('unknown key: path and did-you-mean', async () => {
  const err = await rejectsConfig(load(fx('broken', 'unknown-key.json')), /unknown-key\.json/, /apps\[1\]\.intances: unknown key \(did you mean "instances"\?\)/);
  assert.deepEqual(err.details.issues, [{ path: 'apps[1].intances', message: 'unknown key (did you mean "instances"?)' }]);
});

test('impossible instances (-99) is rejected at load', async () => {
  await rejectsConfig(load(fx('broken', 'instances.json')), /apps\[0\]\.instances: .*-99 leaves no worker on a machine with 4 cores/);
});

test('instances: 0 in a drover file is rejected (PM2 files map it to max)', async (t) => {
  const dir = tempDir(t, 'drover-zero-');
  writeFileSync(path.join(dir, 'drover.config.json'), JSON.stringify({ apps: [{ script: 'a.js', instances: 0 }] }));
  await rejectsConfig(load(path.join(dir, 'drover.config.json')), /apps\[0\]\.instances: must not be 0/);
});

test('missing script is rejected', async () => {
  await rejectsConfig(load(fx('broken', 'missing-script.yaml')), /missing-script\.yaml: apps\[0\]\.script: is required/);
});

test('wrong type and enum values say what is expected', async () => {
  await rejectsConfig(load(fx('broken', 'wrong-type.json')), /apps\[0\]\.killTimeoutMs: expected a number, got "5s"/);
  await rejectsConfig(load(fx('broken', 'restart-enum.json')), /apps\[0\]\.restart: expected one of "always", "on-failure", "never", got "sometimes"/);
  await rejectsConfig(load(fx('broken', 'cron.json')), /apps\[0\]\.cronRestart: "every day" is not a cron expression/);
});

test('file structure problems', async () => {
  await rejectsConfig(load(fx('broken', 'no-apps.json')), /apps: is required.*\(found "app"\)/);
  await rejectsConfig(load(fx('broken', 'empty-apps.json')), /apps: is empty/);
  await rejectsConfig(load(fx('broken', 'duplicate-names.json')), /apps\[1\]\.name: "a" is already the name of apps\[0\]/);
  await rejectsConfig(load(fx('broken', 'does-not-exist.json')), /does not exist/);
  await rejectsConfig(load(fx('broken', 'syntax.txt')), /does not exist|unsupported config file type/);
});

test('every problem of a file is reported at once', async (t) => {
  const dir = tempDir(t, 'drover-multi-');
  const file = path.join(dir, 'drover.config.json');
  writeFileSync(file, JSON.stringify({ apps: [{ script: 'a.js', instances: 'many' }, { name: 'b', maxRestarts: -1 }, 'not an app'], extra: 1 }));
  const err = await rejectsConfig(load(file));
  const paths = err.details.issues.map((i) => i.path);
  assert.deepEqual(paths.sort(), ['apps[0].instances', 'apps[1].maxRestarts', 'apps[1].script', 'apps[2]', 'extra'].sort());
  assert.match(err.message, /apps\[0\]\.instances: expected "max" or a number, got "many"/);
  assert.match(err.message, /apps\[1\]\.maxRestarts: expected a number >= 0, got -1/);
});

test('a missing env_file is a config error naming the key', async () => {
  await rejectsConfig(load(fx('broken', 'env-file-missing.json')), /apps\[0\]\.env_file in .*env-file-missing\.json: env file .*missing\.env does not exist/);
});

test('log options in a drover config: accepted, and wrong values or near misses rejected with the key path', async (t) => {
  const dir = tempDir(t, 'drover-logopts-');
  const file = path.join(dir, 'drover.config.json');
  const logs = { outFile: 'web.log', errorFile: 'web.log', logMaxSize: '10M', logKeep: 3, logDaily: true, logGzip: true, logJson: false, logDateFormat: 'YYYY' };
  writeFileSync(file, JSON.stringify({ apps: [{ script: 'a.js', ...logs }] }));
  const [app] = (await load(file)).apps;
  for (const [k, v] of Object.entries(logs)) assert.equal(app[k], v, k);
  writeFileSync(file, JSON.stringify({ apps: [{ script: 'a.js', logKeep: -1, logMaxSize: 'ten megs', logKep: 2 }] }));
  await rejectsConfig(load(file), /apps\[0\]\.logKeep: expected a number >= 0, got -1/, /apps\[0\]\.logMaxSize: /, /apps\[0\]\.logKep: unknown key \(did you mean "logKeep"\?\)/);
});
