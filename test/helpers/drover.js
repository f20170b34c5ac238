// Runs the real CLI (`node dist/cli/main.js run ...`) as a child of the test
// and keeps track of every process it starts, so a test can end them all,
// also when it fails. Re-exports the paths and the in-process supervisor
// helper, so a test imports one module for either tier of process.
import { spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import { EventLog } from './events.js';
import { CLI, ROOT } from './paths.js';
import { childrenOf, killTree } from './procs.js';
import { BOOT_TIMEOUT_MS, waitFor, withTimeout } from './wait.js';

export { CLI, ROOT, NODE24, example, fixture } from './paths.js';
export { superviseForTest } from './supervisor.js';
export { BOOT_TIMEOUT_MS };

/** The stderr line drover writes for an error, `drover: <message> [CODE]` (the last one). */
export function errorLine(stderr) {
  return stderr
    .split('\n')
    .filter((l) => /^drover: .* \[DROVER_E_[A-Z_]+\]$/.test(l))
    .pop();
}

/** stderr has a drover error line with this code (and message, a RegExp); returns the line. */
export function assertErrorLine(stderr, { code, message }) {
  const line = errorLine(stderr);
  assert.ok(line, `no drover error line in: ${JSON.stringify(stderr)}`);
  assert.ok(line.endsWith(`[${code}]`), `expected ${code}: ${line}`);
  if (message) assert.match(line, message);
  return line;
}

/** `drover run` as a child: its JSON log lines are the EventLog's records. */
class DroverProcess extends EventLog {
  /** wrap: argv that execs node (e.g. setpriv to run as another user); the master's pid stays the spawned one. */
  constructor(t, args, { env = {}, cwd = ROOT, node = process.execPath, wrap = [] } = {}) {
    super({ context: () => ` from drover (stderr so far: ${JSON.stringify(this.stderr.slice(-500))})` });
    this.stderr = '';
    this.exitInfo = undefined;
    const argv = [...wrap, node, CLI, 'run', ...args];
    this.child = spawn(argv[0], argv.slice(1), {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.pid = this.child.pid;
    this.track(this.pid);
    let buffer = '';
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk) => {
      buffer += chunk;
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        this.onLine(buffer.slice(0, nl));
        buffer = buffer.slice(nl + 1);
      }
    });
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        this.exitInfo = { code, signal, at: Date.now() };
        resolve(this.exitInfo);
      });
    });
    t.after(() => this.cleanup());
  }

  /** Every JSON line on stdout: the master's log lines and fixtures' own reports. */
  onLine(line) {
    let record;
    try {
      record = JSON.parse(line);
    } catch {
      return;
    }
    if (record !== null && typeof record === 'object') this.add(record);
  }

  /** Resolves with the port once the master says all workers are ready. */
  async ready({ timeoutMs = BOOT_TIMEOUT_MS } = {}) {
    await waitFor(() => this.events('started').length > 0 || this.exitInfo, { timeoutMs, message: `drover to start (stderr: ${JSON.stringify(this.stderr.slice(-500))})` });
    if (this.exitInfo) throw new Error(`drover exited during start (${JSON.stringify(this.exitInfo)}): ${this.stderr}`);
    // Whatever else the master started (its helper processes) must end too.
    for (const pid of childrenOf(this.pid)) this.track(pid);
    return this.port();
  }

  /** The port from the first 'listening' event. */
  port() {
    const listening = this.events('listening')[0];
    if (!listening) return undefined;
    return Number(/:(\d+)$/.exec(listening.address)[1]);
  }

  /** Pids of every worker ever forked. */
  workerPids() {
    return this.events('fork').map((e) => e.pid);
  }

  /** Pids of workers that have not exited (by the master's own events). */
  liveWorkerPids() {
    const exited = new Set(this.events('exit').map((e) => e.pid));
    return this.workerPids().filter((pid) => !exited.has(pid));
  }

  signal(sig) {
    if (this.exitInfo === undefined) this.child.kill(sig);
  }

  wait({ timeoutMs = BOOT_TIMEOUT_MS } = {}) {
    return withTimeout(this.exited, timeoutMs, `drover (pid ${this.pid}) to exit; stderr: ${this.stderr.slice(-500)}`);
  }

  /** Nothing the test started is alive: the master, every worker, every tracked extra. */
  assertNothingLeft({ timeoutMs = 5_000 } = {}) {
    return super.assertNothingLeft({ timeoutMs, what: 'drover master, workers or their children' });
  }

  /** The `drover: <message> [CODE]` line on stderr. */
  errorLine() {
    return errorLine(this.stderr);
  }

  /** Workers first (killing the master first would orphan them), then the master, then whatever is left. */
  async cleanup() {
    // Every worker's group, also of a worker already gone: its children may not be.
    for (const proc of this.tracked.values()) if (proc.pid !== this.pid) killTree(proc);
    if (this.exitInfo === undefined) {
      this.child.kill('SIGKILL');
      await withTimeout(this.exited, 5_000, 'the killed master to close').catch(() => {});
    }
    // Again: a worker forked between the first pass and the master's death.
    this.killLeft({ except: [this.pid] });
  }
}

/** `drover run <args>`; ended by the test's t.after whatever happens. */
export function runDrover(t, args, options) {
  return new DroverProcess(t, args, options);
}
