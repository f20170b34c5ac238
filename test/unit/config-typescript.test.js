// TypeScript apps and Node-based interpreters (issue 16): a loader beside
// drover's preload, type stripping where Node has it, or an error at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { resolveRunner, typeStripping } from '../../dist/config/typescript.js';
import { tempDir } from '../helpers/tmp.js';

const opts = (cwd, more = {}) => ({ interpreter: undefined, nodeArgs: [], execMode: 'cluster', cwd, ...more });

/** A directory where `tsx` resolves (a stand-in package: only resolution is tested here). */
function withTsx(t) {
  const dir = tempDir(t, 'drover-tsx-');
  mkdirSync(path.join(dir, 'node_modules', 'tsx'), { recursive: true });
  writeFileSync(path.join(dir, 'node_modules', 'tsx', 'package.json'), JSON.stringify({ name: 'tsx', main: 'index.js' }));
  writeFileSync(path.join(dir, 'node_modules', 'tsx', 'index.js'), '');
  return dir;
}

test('typeStripping by Node version', () => {
  assert.equal(typeStripping('20.20.2'), 'none');
  assert.equal(typeStripping('22.5.0'), 'none');
  assert.equal(typeStripping('22.6.0'), 'flag');
  assert.equal(typeStripping('22.18.0'), 'default');
  assert.equal(typeStripping('23.5.0'), 'flag');
  assert.equal(typeStripping('24.1.0'), 'default');
  assert.equal(typeStripping('22.17.1'), 'flag');
  assert.equal(typeStripping('23.6.0'), 'default');
  assert.equal(typeStripping('v24.0.0-pre'), 'default');
});

test('.ts on Node 20: tsx from the app directory as a loader, else DROVER_E_TYPESCRIPT saying what to do', (t) => {
  const empty = tempDir(t, 'drover-nots-');
  assert.throws(() => resolveRunner('/app/server.ts', opts(empty), '20.20.2'), (err) => {
    assert.equal(err.code, 'DROVER_E_TYPESCRIPT');
    assert.equal(err.exitCode, 119);
    assert.match(err.message, /npm install -D tsx.*Node >= 22\.6/);
    return true;
  });
  assert.deepEqual(resolveRunner('/app/server.ts', opts(withTsx(t)), '20.20.2'), { interpreter: undefined, nodeArgs: ['--import', 'tsx'] });
  assert.equal(resolveRunner('/app/server.ts', opts(empty, { nodeArgs: ['--import', 'tsx'] }), '20.20.2'), undefined, 'the app loads it already');
  assert.equal(resolveRunner('/app/server.js', opts(empty), '20.20.2'), undefined);
});

test('.ts on Node with type stripping: nothing, or the flag on 22.6-22.17', (t) => {
  const empty = tempDir(t, 'drover-nots-');
  assert.equal(resolveRunner('/app/server.ts', opts(empty), '24.1.0'), undefined);
  assert.deepEqual(resolveRunner('/app/server.mts', opts(empty), '22.10.0')?.nodeArgs[0], '--experimental-strip-types');
  assert.throws(() => resolveRunner('/app/view.tsx', opts(empty), '24.1.0'), { code: 'DROVER_E_TYPESCRIPT' }, '.tsx needs a loader');
});

test('--interpreter tsx becomes node --import tsx (the preload still shares ports); other runners of .js/.ts are refused in cluster mode', (t) => {
  assert.deepEqual(resolveRunner('/app/server.ts', opts(withTsx(t), { interpreter: 'tsx' }), '20.20.2'), { interpreter: undefined, nodeArgs: ['--import', 'tsx'] });
  const empty = tempDir(t, 'drover-nots-');
  assert.throws(() => resolveRunner('/app/server.ts', opts(empty, { interpreter: '/usr/bin/tsx' }), '24.1.0'), { code: 'DROVER_E_TYPESCRIPT' });
  for (const interpreter of ['ts-node', 'bun', '/opt/node18/bin/node']) {
    assert.throws(() => resolveRunner('/app/server.js', opts(empty, { interpreter }), '20.20.2'), (err) => {
      assert.equal(err.code, 'DROVER_E_INTERPRETER_NO_SHARING');
      assert.match(err.message, /cannot share ports.*--import tsx.*--exec-mode fork/);
      return true;
    });
  }
  assert.equal(resolveRunner('/app/server.js', opts(empty, { interpreter: 'bun', execMode: 'fork' }), '20.20.2'), undefined, 'fork mode: each binds its own ports');
  assert.equal(resolveRunner('/app/worker.py', opts(empty, { interpreter: 'python3' }), '20.20.2'), undefined);
  assert.equal(resolveRunner('/app/server.js', opts(empty, { interpreter: 'node' }), '20.20.2'), undefined);
});
