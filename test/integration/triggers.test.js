// Reload triggers (issue 3): file changes (watch) and a cron schedule.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { example, superviseForTest } from '../helpers/drover.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

const HELLO = readFileSync(example('hello.js'), 'utf8');

function appDir(t) {
  const dir = tempDir(t, 'drover-watch-');
  writeFileSync(path.join(dir, 'server.js'), HELLO);
  mkdirSync(path.join(dir, 'node_modules'));
  return dir;
}

/** Supervises the app with a watcher and waits until the watcher has scanned the tree. */
async function watched(t, dir, watch) {
  const { sup } = await superviseForTest(t, { script: 'server.js', cwd: dir, instances: 1, watch, watchDebounceMs: 100, env: { PORT: '0' } });
  const requests = [];
  const reloads = [];
  let watching = false;
  sup.on('watching', () => (watching = true));
  sup.on('reload-requested', (e) => requests.push(e.trigger));
  sup.on('reloaded', (e) => reloads.push(e));
  await sup.ready;
  await waitFor(() => watching, { timeoutMs: 10_000, message: 'the watcher to be ready' });
  return { sup, requests, reloads };
}

test('watch: a change reloads every worker; node_modules and dot files are ignored', async (t) => {
  const dir = appDir(t);
  const { sup, requests, reloads } = await watched(t, dir, true);
  const before = sup.workers()[0].pid;
  writeFileSync(path.join(dir, '.env.local'), 'X=1\n');
  writeFileSync(path.join(dir, 'node_modules', 'dep.js'), 'export {};\n');
  writeFileSync(path.join(dir, 'server.js'), `// touched\n${HELLO}`);
  await waitFor(() => reloads.length >= 1, { timeoutMs: 10_000, message: 'a reload after the change' });
  assert.deepEqual(requests, ['change of server.js'], 'one reload for the burst, caused by server.js only');
  assert.notEqual(sup.workers().find((w) => w.phase === 'ready').pid, before);
});

test('watch with globs: only matching files trigger a reload', async (t) => {
  const dir = appDir(t);
  const { requests, reloads } = await watched(t, dir, ['**/*.conf']);
  writeFileSync(path.join(dir, 'notes.txt'), 'not watched\n');
  writeFileSync(path.join(dir, 'app.conf'), 'watched\n');
  await waitFor(() => reloads.length === 1, { timeoutMs: 10_000, message: 'a reload after the .conf change' });
  assert.deepEqual(requests, ['change of app.conf']);
});

test('cronRestart: rolling reload on schedule', async (t) => {
  const { sup } = await superviseForTest(t, { script: example('hello.js'), instances: 1, cronRestart: '* * * * * *', env: { PORT: '0' } });
  const reloads = [];
  sup.on('reloaded', (e) => reloads.push(e));
  await sup.ready;
  await waitFor(() => reloads.length >= 1, { timeoutMs: 10_000, message: 'a scheduled reload' });
});

test('a bad cron expression is rejected before anything starts', async () => {
  const { supervise } = await import('../../dist/index.js');
  assert.throws(
    () => supervise({ script: example('hello.js'), cronRestart: 'every day' }),
    (err) => err.code === 'DROVER_E_INVALID_OPTION' && /cron/.test(err.message),
  );
});
