// `drover signal-reload <pid>` (ExecReload= for systemd < 253): SIGHUP to a
// `drover run` master, then wait on its run-state file in RUNTIME_DIRECTORY
// until the rolling reload settled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CLI, fixture, runDrover } from '../helpers/drover.js';
import { withTimeout } from '../helpers/wait.js';

function signalReload(t, pid, env) {
  const child = spawn(process.execPath, [CLI, 'signal-reload', String(pid)], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => child.kill('SIGKILL'));
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c) => (stderr += c));
  return withTimeout(new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr }))), 60_000, 'drover signal-reload');
}

test('signal-reload waits for the reload: 0 once the new workers serve, 76 when the new version fails (the old ones keep serving)', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'drover-rt-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const breakFile = path.join(dir, 'broken');
  const env = { RUNTIME_DIRECTORY: dir };
  const drover = runDrover(t, [fixture('platform/break-on-file.js'), '-i', '2'], { env: { ...env, PORT: '0', BREAK_FILE: breakFile } });
  await drover.ready();
  assert.equal(JSON.parse(readFileSync(path.join(dir, 'drover-run.json'), 'utf8')).pid, drover.pid);

  const ok = await signalReload(t, drover.pid, env);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(drover.events('reloaded').length, 1, 'it returned after the reload finished, not before');

  writeFileSync(breakFile, '');
  const failed = await signalReload(t, drover.pid, env);
  assert.equal(failed.code, 76, failed.stderr);
  assert.match(failed.stderr, /\[DROVER_E_RELOAD_FAILED\]/);
  assert.equal(drover.events('reload-failed').length, 1);

  drover.signal('SIGTERM');
  assert.equal((await drover.wait()).code, 0);
  await drover.assertNothingLeft();
});

test('signal-reload without RUNTIME_DIRECTORY, or for another pid: DROVER_E_NO_RUN_STATE (111), nothing signalled', async (t) => {
  const none = await signalReload(t, process.pid, { RUNTIME_DIRECTORY: '' });
  assert.equal(none.code, 111, none.stderr);
  const dir = mkdtempSync(path.join(tmpdir(), 'drover-rt-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'drover-run.json'), JSON.stringify({ pid: 1, settled: 0 }));
  const other = await signalReload(t, process.pid, { RUNTIME_DIRECTORY: dir });
  assert.equal(other.code, 111, other.stderr);
  assert.match(other.stderr, /belongs to pid 1/);
});
