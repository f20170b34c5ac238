// Drives the real CLI (`node dist/cli/main.js ...`) against a temporary
// DROVER_HOME, and ends everything a test started: the daemon, the app
// masters, their workers and helpers. Every one of those processes inherits
// DROVER_HOME=<the test's home>, so they are found through /proc/<pid>/environ
// even when the daemon lost track of them (a failed test, a SIGKILL).
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { CLI, ROOT } from './drover.js';
import { identify, isAlive } from './procs.js';
import { waitFor, withTimeout } from './wait.js';
import { request } from './http.js';

export { CLI, ROOT };
export const daemonFixture = (name) => path.join(ROOT, 'test/fixtures/daemon', name);
export const APP = path.join(ROOT, 'test/fixtures/daemon-app.js');

/** Pids of processes whose environment has DROVER_HOME=home. */
export function processesOf(home) {
  const needle = Buffer.from(`DROVER_HOME=${home}\0`);
  const out = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    let env;
    try {
      env = readFileSync(`/proc/${name}/environ`);
    } catch {
      continue;
    }
    if (env.includes(needle) && isAlive(Number(name))) out.push(Number(name));
  }
  return out;
}

function killAll(home) {
  for (const pid of processesOf(home)) {
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {}
    }
  }
}

/**
 * One CLI run; resolves with {code, signal, stdout, stderr}. A CLI that does
 * not finish in time is killed and the test fails. node: the Node binary (the
 * daemon and masters it starts run on the same one).
 */
export function cli(home, args, { env = {}, timeoutMs = 30_000, cwd = ROOT, node = process.execPath } = {}) {
  const child = spawn(node, [CLI, ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: '1', ...env, DROVER_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c) => (stderr += c));
  const done = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return withTimeout(done, timeoutMs, `drover ${args.join(' ')}`).catch((err) => {
    child.kill('SIGKILL');
    throw err;
  });
}

/** A CLI run that must succeed; returns stdout (parsed with json: true). */
export async function ok(home, args, options = {}) {
  const r = await cli(home, args, options);
  assert.equal(r.code, 0, `drover ${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
  return options.json ? JSON.parse(r.stdout) : r.stdout;
}

/** The `drover: <message> [CODE]` line of a failed run. */
export function errorLine(stderr) {
  return stderr
    .split('\n')
    .filter((l) => /^drover: .* \[DROVER_E_[A-Z_]+\]$/.test(l))
    .pop();
}

/** A failing run: the exit status, the error code in the message, and the message. */
export async function fails(home, args, { code, exitCode, message, ...options }) {
  const r = await cli(home, args, options);
  assert.equal(r.code, exitCode, `drover ${args.join(' ')}: expected exit ${exitCode}, got ${r.code}: ${r.stderr}`);
  const line = errorLine(r.stderr);
  assert.ok(line, `no drover error line in: ${r.stderr}`);
  assert.ok(line.endsWith(`[${code}]`), `expected ${code}: ${line}`);
  if (message) assert.match(line, message);
  return r;
}

/**
 * A temporary DROVER_HOME. After the test: `drover kill`, then every process
 * that still carries this home is SIGKILLed and the test fails if one
 * survives; the directory is removed.
 */
export function makeHome(t, prefix = 'drover-') {
  // Short: unix socket paths are limited to 107 bytes.
  const home = mkdtempSync(path.join(tmpdir(), prefix));
  t.after(async () => {
    await cli(home, ['kill'], { timeoutMs: 20_000 }).catch(() => {});
    // `drover kill` must end everything by itself; what it leaves is killed here, and fails the test.
    let survivors = [];
    try {
      await waitFor(() => processesOf(home).length === 0, { timeoutMs: 5_000, message: `processes of ${home} to end` });
    } catch {
      survivors = processesOf(home);
      killAll(home);
      await waitFor(() => processesOf(home).length === 0, { timeoutMs: 5_000, message: `processes of ${home} to end after SIGKILL` }).catch(() => {});
    }
    rmSync(home, { recursive: true, force: true });
    assert.deepEqual(survivors, [], `processes left running after drover kill: ${survivors.join(', ')}`);
  });
  return home;
}

export async function describe(home, app) {
  return ok(home, ['describe', app, '--json'], { json: true });
}

export async function portOf(home, app) {
  const d = await describe(home, app);
  assert.ok(d.ports.length > 0, `${app} listens on no port: ${JSON.stringify(d)}`);
  return d.ports[0];
}

export async function get(port, p = '/') {
  const res = await request({ port, path: p });
  assert.equal(res.status, 200, res.body);
  return JSON.parse(res.body);
}

/** Pids of the daemon (from its pid file). */
export function daemonPid(home) {
  try {
    // daemon.pid is "<pid> <start time>"
    return parseInt(readFileSync(path.join(home, 'daemon.pid'), 'utf8'), 10) || undefined;
  } catch {
    return undefined;
  }
}

export { waitFor, isAlive, identify, request };
