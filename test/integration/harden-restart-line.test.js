// A restart pre-empted by a give-up is never announced (issue 15): a delayed
// restart's "restarting worker" line and 'restart' event come when it happens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture, runDrover } from '../helpers/drover.js';

test('no "restarting worker" line for a delayed restart that the give-up pre-empts', async (t) => {
  // Two workers crash 50 ms after they listen. Each slot's first restart is
  // immediate; slot 0's second is delayed 30 s, and slot 1's second crash gives
  // up (maxRestarts 3) long before that.
  const d = runDrover(t, [fixture('crash-after-ready.js'), '-i', '2', '--max-restarts', '3', '--restart-delay-ms', '30000', '--max-restart-delay-ms', '30000', '--min-uptime-ms', '60000'], {
    env: { PORT: '0', CRASH_DELAY_MS: '50' },
  });
  const { code } = await d.wait({ timeoutMs: 30_000 });
  assert.equal(code, 71, d.stderr);
  const restarts = d.events('restart');
  const forks = d.events('fork');
  assert.equal(d.events('giveup').length, 1);
  assert.equal(restarts.length, forks.length - 2, `every announced restart happened: ${JSON.stringify(restarts)}`);
  assert.ok(restarts.every((r) => r.delayMs === 0), `a delayed restart was announced: ${JSON.stringify(restarts)}`);
  assert.doesNotMatch(d.records.map((r) => r.msg ?? '').join('\n'), /30000 ms/);
  await d.assertNothingLeft();
});
