// Issue 16: `drover scale` waits for the new workers (as reload does) and
// fails with the reason when they do not become ready; the >4-workers-per-core
// refusal applies to scale too. (Its own file: the daemon-reload file's tests
// share one 120 s budget on a loaded machine.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { APP, cli, describe, errorLine, fails, makeHome, ok } from '../helpers/daemon.js';

test('scale: new workers that fail to boot exit non-zero with the reason (87); more than 4 per core needs --force (122)', async (t) => {
  const home = makeHome(t);
  const flag = path.join(home, 'broken');
  await ok(home, ['start', APP, '--name', 'grow'], { env: { PORT: '0', FAIL_FLAG: flag } });
  writeFileSync(flag, 'new workers fail on boot');
  const r = await cli(home, ['scale', 'grow', '2']);
  assert.equal(r.code, 87, `${r.stdout}\n${r.stderr}`);
  assert.match(errorLine(r.stderr), /^drover: grow: worker 1 (exited with code 3|was killed by \w+) before it was ready .*drover logs grow.*\[DROVER_E_SCALE_NOT_READY\]$/);
  assert.equal((await describe(home, 'grow')).ready, 1, 'the ready worker keeps serving');
  rmSync(flag);
  await fails(home, ['scale', 'grow', '100000', '--no-wait'], { code: 'DROVER_E_TOO_MANY_WORKERS', exitCode: 122, message: /--force/ });
  assert.equal((await describe(home, 'grow')).desired, 2, 'the refused scale changed nothing');
});

