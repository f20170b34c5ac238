// drover logs --follow, and log rotation at a small size limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { APP, CLI, describe, get, makeHome, ok, waitFor } from '../helpers/daemon.js';
import { withTimeout } from '../helpers/wait.js';

test('logs --follow prints new lines as they are written and ends cleanly on SIGINT', async (t) => {
  const home = makeHome(t);
  await ok(home, ['start', APP, '--name', 'live'], { env: { PORT: '0' } });
  const port = (await describe(home, 'live')).ports[0];
  await get(port, '/log?tag=before&n=3');
  // On disk before following starts, so --lines 1 is exactly "before 2".
  await waitFor(async () => /before 2 x+$/m.test(await ok(home, ['logs', 'live', '--lines', '1', '--out'])), { message: 'the lines on disk' });

  const child = spawn(process.execPath, [CLI, 'logs', 'live', '--follow', '--lines', '1'], {
    env: { ...process.env, DROVER_HOME: home, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => child.kill('SIGKILL'));
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c) => (stderr += c));
  const closed = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));

  // The last existing line first, then what is written while following.
  await waitFor(() => /before 2 x+\n/.test(stdout), { message: 'the last line written before' });
  await get(port, '/log?tag=during&n=3');
  await get(port, '/err?tag=alarm');
  await waitFor(() => /during 2 x+\n/.test(stdout) && /alarm on stderr/.test(stdout), { message: `the new lines (got ${JSON.stringify(stdout)})` });
  assert.doesNotMatch(stdout, /before [01]/, '--lines 1 shows only the last line of each file');

  child.kill('SIGINT');
  const exit = await withTimeout(closed, 10_000, 'drover logs --follow to exit');
  assert.deepEqual(exit, { code: 0, signal: null }, stderr);
});

test('rotation at a small size limit keeps N rotated files and no file grows past the limit', async (t) => {
  const home = makeHome(t);
  const maxSize = 4096;
  await ok(home, ['start', APP, '--name', 'rotor'], { env: { PORT: '0', DROVER_LOG_MAX_SIZE: String(maxSize), DROVER_LOG_KEEP: '2' } });
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
