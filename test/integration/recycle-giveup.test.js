// Issue 16: a maxMemory below the app's base RSS used to replace the worker
// every second forever with `restarts 0`. Memory recycles now count as
// restarts and share the crash loop's window and give-up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { example, runDrover } from '../helpers/drover.js';

test('--max-memory below the base RSS: recycled maxRestarts times, then gives up (exit 71) naming maxMemory', async (t) => {
  const d = runDrover(t, [example('hello.js'), '--max-memory', '1M', '--heartbeat-interval-ms', '100', '--max-restarts', '3', '--restart-window-ms', '60000'], {
    env: { PORT: '0' },
  });
  const { code } = await d.wait({ timeoutMs: 60_000 });
  assert.equal(code, 71, d.stderr);
  assert.match(d.errorLine() ?? d.stderr, /^drover: workers were restarted 4 times within 60000 ms, the last for using \d+ bytes of RSS, over maxMemory 1048576 .*--max-memory.* \[DROVER_E_GIVEUP\]$/);
  const recycles = d.events('recycle');
  assert.equal(recycles.length, 3, 'exactly maxRestarts recycles');
  assert.ok(recycles.every((e) => e.reason === 'memory'));
  assert.equal(d.events('giveup').length, 1);
  await d.assertNothingLeft();
});
