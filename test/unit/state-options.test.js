// The state options resolved into AppSpec.state: defaults, redis needs a URL, a namespace Redis can tag.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveSpec } from '../../dist/config/resolve.js';

const SCRIPT = fileURLToPath(new URL('../../examples/hello.js', import.meta.url));

test('state options: file under DROVER_HOME/apps/<name>/state by default, --state-dir relative to cwd, redis needs a URL', () => {
  const home = process.env.DROVER_HOME;
  process.env.DROVER_HOME = '/tmp/drover-home-x';
  try {
    const s = resolveSpec({ script: SCRIPT, name: 'web' }).state;
    assert.deepEqual(s, { backend: 'file', dir: '/tmp/drover-home-x/apps/web/state', url: undefined, namespace: 'web' });
  } finally {
    if (home === undefined) delete process.env.DROVER_HOME;
    else process.env.DROVER_HOME = home;
  }
  assert.equal(resolveSpec({ script: SCRIPT, cwd: '/srv/app', stateDir: 'data' }).state.dir, path.resolve('/srv/app', 'data'));
  assert.throws(() => resolveSpec({ script: SCRIPT, stateBackend: 'redis' }), (err) => err.code === 'DROVER_E_INVALID_OPTION' && /needs --state-url/.test(err.message));
  assert.throws(() => resolveSpec({ script: SCRIPT, stateBackend: 'redis', stateUrl: 'http://x' }), { code: 'DROVER_E_INVALID_OPTION' });
  assert.throws(() => resolveSpec({ script: SCRIPT, stateBackend: 'redis', stateUrl: 'redis://h:1', stateNamespace: 'a{b}' }), { code: 'DROVER_E_INVALID_OPTION' });
  assert.equal(resolveSpec({ script: SCRIPT, stateBackend: 'redis', stateUrl: 'redis://h:1', name: 'api' }).state.namespace, 'api');
  assert.throws(() => resolveSpec({ script: SCRIPT, stateBackend: 'etcd' }), { code: 'DROVER_E_INVALID_OPTION' });
  // A name Redis could not tag is fine for the other backends.
  assert.equal(resolveSpec({ script: SCRIPT, name: 'my app' }).state.namespace, 'my app');
});

test('agent options: ready-on ready by default, online on request; the timeout defaults to 30 s', () => {
  const agent = path.join(path.dirname(SCRIPT), 'hello.js');
  assert.deepEqual(resolveSpec({ script: SCRIPT, agent }).agent, { script: agent, mode: 'node', readyOn: 'signal', readyTimeoutMs: 30_000 });
  assert.equal(resolveSpec({ script: SCRIPT, agent, agentReadyOn: 'online', agentReadyTimeoutMs: 5 }).agent.readyOn, 'online');
  assert.throws(() => resolveSpec({ script: SCRIPT, agent, agentReadyTimeoutMs: 0 }), { code: 'DROVER_E_INVALID_OPTION' });
});

test('a reload that would move the state store is refused (the master opened it once): restart instead', async () => {
  const { reloadRefusal } = await import('../../dist/core/reload-plan.js');
  const prev = resolveSpec({ script: SCRIPT, name: 'web', stateBackend: 'memory' });
  assert.equal(reloadRefusal(prev, resolveSpec({ script: SCRIPT, name: 'web', stateBackend: 'memory', instances: 3 })), undefined);
  assert.match(reloadRefusal(prev, resolveSpec({ script: SCRIPT, name: 'web', stateBackend: 'file' })), /shared state options .* restart the app/);
});
