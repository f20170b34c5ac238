// The rules that decide whether a pre-booted worker can become an app's
// first worker (runtime/preboot-env.ts): what Node, libuv, glibc, OpenSSL and
// ICU read at start-up must be the same as a fresh fork's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bootEnv, prebootMismatch, PREBOOT_ENV, startupEnv } from '../../dist/runtime/preboot-env.js';

const node = { mode: 'node', interpreter: undefined, nodeArgs: [] };

test('a plain Node script with the same start-up variables takes the pre-booted worker', () => {
  const booted = { PATH: '/bin', LANG: 'C.UTF-8', NODE_EXTRA_CA_CERTS: '/ca.pem' };
  const env = { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8', NODE_EXTRA_CA_CERTS: '/ca.pem', NODE_ENV: 'production', NODE_APP_INSTANCE: '0', API_TOKEN: 'x' };
  assert.equal(prebootMismatch(node, booted, env, true), undefined);
});

test('node arguments, an interpreter, exec mode or inherited output fall back to a fresh fork', () => {
  assert.equal(prebootMismatch({ ...node, nodeArgs: ['--no-warnings'] }, {}, {}, true), 'node arguments');
  assert.equal(prebootMismatch({ ...node, interpreter: 'bun' }, {}, {}, true), 'not a Node script');
  assert.equal(prebootMismatch({ ...node, mode: 'exec' }, {}, {}, true), 'not a Node script');
  assert.equal(prebootMismatch(node, {}, {}, false), 'output not piped');
});

test('a start-up variable that differs, appears or disappears falls back; NODE_ENV does not', () => {
  assert.equal(prebootMismatch(node, {}, { NODE_OPTIONS: '--max-old-space-size=64' }, true), 'environment variable NODE_OPTIONS');
  assert.equal(prebootMismatch(node, { LANG: 'C' }, { LANG: 'de_DE.UTF-8' }, true), 'environment variable LANG');
  assert.equal(prebootMismatch(node, { UV_THREADPOOL_SIZE: '8' }, {}, true), 'environment variable UV_THREADPOOL_SIZE');
  for (const key of ['LD_PRELOAD', 'MALLOC_ARENA_MAX', 'GLIBC_TUNABLES', 'OPENSSL_CONF', 'SSL_CERT_FILE', 'LC_ALL', 'NODE_PATH']) {
    assert.equal(prebootMismatch(node, {}, { [key]: 'x' }, true), `environment variable ${key}`, key);
  }
  assert.equal(prebootMismatch(node, {}, { NODE_ENV: 'production' }, true), undefined);
});

test("the pre-booted process's env: a few of the master's, never the master's malloc setting or worker id; the starter's start-up variables", () => {
  const master = { PATH: '/bin', HOME: '/root', LANG: 'C', MALLOC_ARENA_MAX: '2', DROVER_HOME: '/h', DROVER_WORKER_ID: '0', DROVER_TRACE: '/t', SECRET: 's' };
  assert.deepEqual(bootEnv(master), { PATH: '/bin', HOME: '/root', LANG: 'C', DROVER_HOME: '/h' });
  const cli = { NODE_EXTRA_CA_CERTS: '/ca.pem', NODE_ENV: 'production', LANG: 'C', API_TOKEN: 'x' };
  assert.deepEqual(startupEnv(cli), { NODE_EXTRA_CA_CERTS: '/ca.pem', LANG: 'C' });
  assert.deepEqual(bootEnv({ ...master, [PREBOOT_ENV]: JSON.stringify(startupEnv(cli)) }), { PATH: '/bin', HOME: '/root', LANG: 'C', DROVER_HOME: '/h', NODE_EXTRA_CA_CERTS: '/ca.pem' });
  // A bad value is ignored, not fatal; only start-up variables are taken from it.
  assert.deepEqual(bootEnv({ PATH: '/bin', [PREBOOT_ENV]: '{' }), { PATH: '/bin' });
  assert.deepEqual(bootEnv({ [PREBOOT_ENV]: JSON.stringify({ SECRET: 's', NODE_OPTIONS: 1, LANG: 'C' }) }), { LANG: 'C' });
});
