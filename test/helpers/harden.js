// Helpers for the hardening tests (issue 15): scratch directories whose
// processes are ended after the test (also on failure), and running a
// command as another user where the test runs as root.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { processesOf } from './daemon.js';
import { waitFor, withTimeout } from './wait.js';

export const isRoot = process.getuid?.() === 0;
/** The other user of the tests (nobody). */
export const OTHER_UID = 65534;
export const hasSetpriv = spawnSync('setpriv', ['--version'], { stdio: 'ignore' }).status === 0;
/** Why a test that needs another uid cannot run here, or undefined. */
export const noOtherUser = !isRoot ? 'needs root (to own files as, and run commands as, another uid)' : !hasSetpriv ? 'needs setpriv(1)' : undefined;

/** argv prefix that runs a command as OTHER_UID. */
export const asOther = ['setpriv', `--reuid=${OTHER_UID}`, `--regid=${OTHER_UID}`, '--clear-groups'];

function killAll(dir) {
  for (const pid of processesOf(dir)) {
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {}
    }
  }
}

/**
 * A temporary directory (root of a test's homes). After the test, every
 * process whose DROVER_HOME is `home` (or one of extraHomes) is SIGKILLed
 * and the directory removed (with old code, a daemon may have started in an
 * unsafe home).
 */
export function scratchDir(t, prefix = 'drh-') {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  const homes = new Set();
  t.after(async () => {
    for (const h of homes) killAll(h);
    await waitFor(() => [...homes].every((h) => processesOf(h).length === 0), { timeoutMs: 5_000, message: 'scratch processes to end' }).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, track: (home) => (homes.add(home), home) };
}

/** Runs argv (no shell); resolves {code, stdout, stderr}. */
export function run(argv, { env = process.env, timeoutMs = 30_000, cwd } = {}) {
  const child = spawn(argv[0], argv.slice(1), { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c) => (stderr += c));
  const done = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return withTimeout(done, timeoutMs, argv.join(' ')).catch((err) => {
    child.kill('SIGKILL');
    throw err;
  });
}
