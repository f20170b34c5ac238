// Drives the real CLI (`node dist/cli/main.js ...`) against a temporary
// DROVER_HOME, and ends everything a test started: the daemon, the app
// masters, their workers and helpers. Every one of those processes inherits
// DROVER_HOME=<the test's home>, so they are found through /proc/<pid>/environ
// even when the daemon lost track of them (a failed test, a SIGKILL).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { assertErrorLine, errorLine } from './drover.js';
import { CLI, ROOT, fixture } from './paths.js';
import { identify, isAlive, killTree } from './procs.js';
import { tempDir } from './tmp.js';
import { waitFor, withTimeout } from './wait.js';
import { request } from './http.js';

export { CLI, ROOT, errorLine };
export const daemonFixture = (name) => fixture(path.join('daemon', name));
export const APP = fixture('daemon-app.js');

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

/**
 * A CLI process against `home`, started and not awaited (for `logs --follow`):
 * `output()` is what it wrote so far, `done` resolves with
 * {code, signal, stdout, stderr} when it has closed. With t, it is killed after
 * the test if still running. node: the Node binary (the daemon and masters it
 * starts run on the same one).
 */
export function spawnCli(home, args, { t, env = {}, cwd = ROOT, node = process.execPath } = {}) {
  const child = spawn(node, [CLI, ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: '1', ...env, DROVER_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (c) => (out.stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c) => (out.stderr += c));
  const done = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, ...out })));
  t?.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { child, done, output: () => out };
}

/**
 * One CLI run; resolves with {code, signal, stdout, stderr}. A CLI that does
 * not finish in time is killed and the test fails.
 */
export function cli(home, args, { timeoutMs = 30_000, ...options } = {}) {
  const { child, done } = spawnCli(home, args, options);
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

/** A failing run: the exit status, the error code in the message, and the message. */
export async function fails(home, args, { code, exitCode, message, ...options }) {
  const r = await cli(home, args, options);
  assert.equal(r.code, exitCode, `drover ${args.join(' ')}: expected exit ${exitCode}, got ${r.code}: ${r.stderr}`);
  assertErrorLine(r.stderr, { code, message });
  return r;
}

/**
 * A temporary DROVER_HOME. After the test: `drover kill`, then every process
 * that still carries this home is SIGKILLed and the test fails if one
 * survives; the directory is removed.
 */
export function makeHome(t, prefix = 'drover-') {
  let survivors = [];
  const home = tempDir(t, prefix, {
    async beforeRemove() {
      await cli(home, ['kill'], { timeoutMs: 20_000 }).catch(() => {});
      // `drover kill` must end everything by itself; what it leaves is killed here, and fails the test.
      try {
        await waitFor(() => processesOf(home).length === 0, { timeoutMs: 5_000, message: `processes of ${home} to end` });
      } catch {
        survivors = processesOf(home);
        for (const pid of survivors) killTree(pid);
        await waitFor(() => processesOf(home).length === 0, { timeoutMs: 5_000, message: `processes of ${home} to end after SIGKILL` }).catch(() => {});
      }
    },
  });
  t.after(() => assert.deepEqual(survivors, [], `processes left running after drover kill: ${survivors.join(', ')}`));
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
    return Number(readFileSync(path.join(home, 'daemon.pid'), 'utf8').trim());
  } catch {
    return undefined;
  }
}

export { waitFor, isAlive, identify, request };
