// drover logs --follow, and log rotation at a small size limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { APP, cli, describe, get, makeHome, ok, spawnCli, waitFor } from '../helpers/daemon.js';
import { tempDir } from '../helpers/tmp.js';
import { withTimeout } from '../helpers/wait.js';

test('logs --follow prints new lines as they are written and ends cleanly on SIGINT', async (t) => {
  const home = makeHome(t);
  await ok(home, ['start', APP, '--name', 'live'], { env: { PORT: '0' } });
  const port = (await describe(home, 'live')).ports[0];
  await get(port, '/log?tag=before&n=3');
  // On disk before following starts, so --lines 1 is exactly "before 2".
  await waitFor(async () => /before 2 x+$/m.test(await ok(home, ['logs', 'live', '--lines', '1', '--out'])), { message: 'the lines on disk' });

  const follower = spawnCli(home, ['logs', 'live', '--follow', '--lines', '1'], { t });
  const stdout = () => follower.output().stdout;

  // The last existing line first, then what is written while following.
  await waitFor(() => /before 2 x+\n/.test(stdout()), { message: 'the last line written before' });
  await get(port, '/log?tag=during&n=3');
  await get(port, '/err?tag=alarm');
  await waitFor(() => /during 2 x+\n/.test(stdout()) && /alarm on stderr/.test(stdout()), { message: `the new lines (got ${JSON.stringify(stdout())})` });
  assert.doesNotMatch(stdout(), /before [01]/, '--lines 1 shows only the last line of each file');

  follower.child.kill('SIGINT');
  const exit = await withTimeout(follower.done, 10_000, 'drover logs --follow to exit');
  assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null }, exit.stderr);
});

test('rotation at a small size limit keeps N rotated files and no file grows past the limit', async (t) => {
  const home = makeHome(t);
  const maxSize = 4096;
  // The flags win over DROVER_LOG_* (which would keep 9 files of 1 MB).
  await ok(home, ['start', APP, '--name', 'rotor', '--log-max-size', String(maxSize), '--log-keep', '2'], {
    env: { PORT: '0', DROVER_LOG_MAX_SIZE: '1M', DROVER_LOG_KEEP: '9' },
  });
  const port = (await describe(home, 'rotor')).ports[0];
  for (let i = 0; i < 6; i++) await get(port, `/log?n=40&size=150&tag=batch${i}`);

  const logs = path.join(home, 'logs');
  const rotated = () => readdirSync(logs).filter((f) => /^rotor-out__.*\.log$/.test(f));
  await waitFor(
    async () => {
      const d = await describe(home, 'rotor');
      return d.logStats.rotations >= 5 && rotated().length === 2;
    },
    { timeoutMs: 15_000, message: `rotations, keeping 2 files (now: ${readdirSync(logs).join(', ')})` },
  );
  for (const f of [...rotated(), 'rotor-out.log']) {
    assert.ok(statSync(path.join(logs, f)).size <= maxSize, `${f} is ${statSync(path.join(logs, f)).size} bytes`);
  }
  // The newest lines are in the live file, readable with drover logs.
  await waitFor(async () => /batch5 39 x+$/m.test(await ok(home, ['logs', 'rotor', '--lines', '3'])), { message: 'the last batch in drover logs' });
  const d = await describe(home, 'rotor');
  assert.equal(d.logStats.dropped, 0);
});

test('a PM2 ecosystem file with out_file, error_file and log_date_format: the lines land there, and drover logs reads them', async (t) => {
  const home = makeHome(t);
  const dir = tempDir(t, 'drover-eco-');
  const outFile = path.join(dir, 'web.out');
  writeFileSync(
    path.join(dir, 'ecosystem.config.cjs'),
    `module.exports = { apps: [{ name: 'ecolog', script: ${JSON.stringify(APP)}, instances: 1, out_file: ${JSON.stringify(outFile)}, error_file: 'ecolog-custom.err', log_date_format: 'YYYY-MM-DD HH:mm', env: { PORT: 0 } }] };\n`,
  );
  const r = await cli(home, ['start', path.join(dir, 'ecosystem.config.cjs')]);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /out_file|error_file|log_date_format/, 'mapped, not reported as ignored');
  const d = await describe(home, 'ecolog');
  assert.equal(d.logs.out, outFile);
  assert.equal(d.logs.err, path.join(dir, 'ecolog-custom.err'), 'a relative error_file of a PM2 file is under the app cwd, as PM2 puts it');
  await get(d.ports[0], '/log?tag=custom&n=2');
  await get(d.ports[0], '/err?tag=alarm');
  await waitFor(() => /custom 1 x*$/m.test(readFileSync(outFile, 'utf8')), { message: 'stdout lines in out_file' });
  await waitFor(() => /alarm on stderr/.test(readFileSync(d.logs.err, 'utf8')), { message: 'stderr lines in error_file' });
  // log_date_format: minutes, no seconds or zone.
  assert.match(readFileSync(outFile, 'utf8'), /^\d{4}-\d{2}-\d{2} \d{2}:\d{2} /m);
  const shown = await ok(home, ['logs', 'ecolog', '--lines', '5']);
  assert.match(shown, /custom 1/);
  assert.match(shown, /alarm on stderr/);
});
