// Failures explain themselves under the daemon: a boot failure prints the
// app's last stderr lines with the error, the failed app is listed as
// errored with its reason, and the restart count survives a give-up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cli, errorLine, makeHome, ok, waitFor } from '../helpers/daemon.js';
import { fixture } from '../helpers/paths.js';

test('a boot failure under drover start prints the app\'s stderr above the error; the app is listed as errored', async (t) => {
  const home = makeHome(t);
  const r = await cli(home, ['start', fixture('boot-error.js'), '--name', 'broken'], { env: { PORT: '0' } });
  assert.equal(r.code, 70, `${r.stdout}\n${r.stderr}`);
  const lines = r.stderr.split('\n');
  const head = lines.indexOf('broken: the last lines of its stderr:');
  assert.ok(head >= 0, r.stderr);
  const error = lines.findIndex((l) => l === errorLine(r.stderr));
  assert.ok(head < error, 'the output comes before the error line');
  const output = lines.slice(head + 1, error).join('\n');
  assert.match(output, /^ {2}\[0\] boot-error: reading the configuration$/m);
  assert.match(output, /error while loading the app, exiting:\n.*DATABASE_URL is not set/);
  assert.match(errorLine(r.stderr), /\[DROVER_E_WORKER_BOOT\]$/);

  const [row] = await ok(home, ['list', '--json'], { json: true });
  assert.equal(row.name, 'broken');
  assert.equal(row.status, 'errored');
  assert.equal(row.lastError.code, 'DROVER_E_WORKER_BOOT');
  const list = await cli(home, ['list']);
  assert.equal(list.code, 0);
  assert.equal(list.stderr, '', 'the reason is part of the listing, not an error of list');
  assert.match(list.stdout, /^broken errored: .*\[DROVER_E_WORKER_BOOT\]$/m);
});

test('after a give-up, list keeps the restart count and shows the app errored', async (t) => {
  const home = makeHome(t);
  await ok(home, ['start', fixture('crash-after-ready.js'), '--name', 'loop', '--max-restarts', '2', '--restart-delay-ms', '10'], { env: { PORT: '0', CRASH_DELAY_MS: '100' } });
  const row = await waitFor(
    async () => {
      const [r] = await ok(home, ['list', '--json'], { json: true });
      return r.status === 'errored' ? r : undefined;
    },
    { timeoutMs: 30_000, message: 'the app to give up' },
  );
  assert.equal(row.lastError.code, 'DROVER_E_GIVEUP');
  assert.ok(row.restarts >= 2, `restarts after the give-up: ${row.restarts}`);
});
