// `drover state <app> get|set|delete|list|watch` against an app the daemon
// runs: through the app master's control socket, with --json, the file
// backend under DROVER_HOME/apps/<app>/state, and clear errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { APP, cli, fails, makeHome, ok, spawnCli, waitFor } from '../helpers/daemon.js';

test('drover state: set, get, list, watch, delete on a daemon-run app; --json; errors', async (t) => {
  const home = makeHome(t);
  await ok(home, ['start', APP, '--name', 'web', '-i', '2'], { env: { PORT: '0' } });

  assert.match(await ok(home, ['state', 'web', 'set', 'config', '{"color":"blue"}']), /^config\tv1\trev 1\t\{"color":"blue"\}\n$/);
  assert.equal(await ok(home, ['state', 'web', 'get', 'config']), '{"color":"blue"}\n');
  const entry = await ok(home, ['state', 'web', 'get', 'config', '--json'], { json: true });
  assert.deepEqual([entry.key, entry.value, entry.version, entry.rev], ['config', { color: 'blue' }, 1, 1]);
  // Text that is not JSON is stored as a string.
  await ok(home, ['state', 'web', 'set', 'motd', 'hello world']);
  assert.equal((await ok(home, ['state', 'web', 'get', 'motd', '--json'], { json: true })).value, 'hello world');
  assert.ok(existsSync(path.join(home, 'apps', 'web', 'state', 'state.log')), 'the file backend under DROVER_HOME/apps/<app>/state');

  // watch streams changes until interrupted.
  const watcher = spawnCli(home, ['state', 'web', 'watch', 'config', '--json'], { t });
  const lines = () => watcher.output().stdout;
  // The first event is the current entry.
  await waitFor(() => lines().includes('"color":"blue"'), { message: 'the current entry at the watcher' });
  await ok(home, ['state', 'web', 'set', 'config', '{"color":"red"}', '--if-version', '1']);
  await waitFor(() => lines().includes('"color":"red"'), { message: 'the change at the watcher' });
  const events = lines().trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(events.map((e) => [e.type, e.entry.value.color]), [['put', 'blue'], ['put', 'red']]);
  watcher.child.kill('SIGINT');
  assert.equal((await watcher.done).code, 0);

  const list = await ok(home, ['state', 'web', 'list', '--json'], { json: true });
  assert.deepEqual(list.map((e) => e.key).sort(), ['config', 'motd']);
  await fails(home, ['state', 'web', 'set', 'config', '1', '--if-version', '1'], { code: 'DROVER_E_STATE_CONFLICT', exitCode: 100, message: /is at version 2/ });
  assert.equal(await ok(home, ['state', 'web', 'delete', 'motd']), 'deleted motd\n');
  const missing = await cli(home, ['state', 'web', 'get', 'motd']);
  assert.equal(missing.code, 1);
  assert.equal(missing.stdout, 'motd: not found\n');

  await fails(home, ['state', 'nope', 'get', 'x'], { code: 'DROVER_E_APP_NOT_FOUND', exitCode: 80 });
  await fails(home, ['state', 'web', 'frob', 'x'], { code: 'DROVER_E_USAGE', exitCode: 64 });
  await fails(home, ['state', 'web', 'set', 'x'], { code: 'DROVER_E_USAGE', exitCode: 64, message: /needs a value/ });
  await fails(home, ['state', 'web', 'set', 'a*', '1'], { code: 'DROVER_E_STATE_VALUE', exitCode: 104 });
});
