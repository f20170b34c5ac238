// Container mode without being PID 1 (`--container`, DROVER_CONTAINER=1, as
// under the generated Dockerfile's tini): drover's own stderr lines are JSON,
// the master's log on stdout always is; no root needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture, runDrover } from '../helpers/drover.js';

const jsonLines = (text) =>
  text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

test('--container: the ready line on stderr is JSON; SIGTERM exits 0', async (t) => {
  const drover = runDrover(t, [fixture('whoami.js'), '-i', '1', '--container'], { env: { PORT: '0' } });
  await drover.ready();
  drover.signal('SIGTERM');
  assert.equal((await drover.wait()).code, 0);
  const lines = jsonLines(drover.stderr);
  assert.ok(lines.some((l) => l.level === 30 && / 1 worker ready in \d+ ms, listening on /.test(l.msg)), drover.stderr);
  await drover.assertNothingLeft();
});

test('DROVER_CONTAINER=1: a bad option and a failed start are JSON lines with the code, and the exit status stays distinct', async (t) => {
  const bad = runDrover(t, [fixture('whoami.js'), '--restart-delay-ms', '500', '--max-restart-delay-ms', '100'], { env: { DROVER_CONTAINER: '1' } });
  assert.equal((await bad.wait()).code, 65);
  assert.deepEqual(jsonLines(bad.stderr).map((l) => [l.level, l.code]), [[50, 'DROVER_E_INVALID_OPTION']]);
  const boot = runDrover(t, [fixture('crash-on-boot.js')], { env: { DROVER_CONTAINER: '1' } });
  assert.equal((await boot.wait()).code, 70);
  const errors = boot.stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l))
    .filter((l) => l.level === 50);
  assert.equal(errors.at(-1).code, 'DROVER_E_WORKER_BOOT', boot.stderr);
  await boot.assertNothingLeft();
});
