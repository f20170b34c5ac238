// Runs the real CLI (`node dist/cli/main.js run ...`) as a child of the test,
// or the library's supervise() in the test process, and keeps track of every
// process either starts, so a test can end them all, also when it fails.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertAllGone, childrenOf, identify, isAlive, killTree } from './procs.js';
import { waitFor, withTimeout } from './wait.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = path.join(ROOT, 'dist/cli/main.js');
export const fixture = (name) => path.join(ROOT, 'test/fixtures', name);
export const example = (name) => path.join(ROOT, 'examples', name);

/** Generous for a loaded 2-core machine: a worker boots in ~0.2 s when idle. */
export const BOOT_TIMEOUT_MS = 20_000;

class DroverProcess {
  /** wrap: argv that execs node (e.g. setpriv to run as another user); the master's pid stays the spawned one. */
  constructor(t, args, { env = {}, cwd = ROOT, node = process.execPath, wrap = [] } = {}) {
    /** Every JSON line on stdout: the master's log lines and fixtures' own reports. */
    this.records = [];
    this.stderr = '';
    this.exitInfo = undefined;
    /** Processes to end and check: the master, each worker it forked, and extras a test adds. */
    this.tracked = new Map();
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

  onLine(line) {
    let record;
    try {
      record = JSON.parse(line);
    } catch {
      return;
    }
    if (record === null || typeof record !== 'object') return;
    record.receivedAt = Date.now();
    this.records.push(record);
    // Identify at once, while the worker surely still runs (for pid-reuse safety).
    if ((record.event === 'fork' || record.event === 'agent-spawn') && typeof record.pid === 'number') this.track(record.pid);
  }

  track(pid) {
    if (!this.tracked.has(pid)) this.tracked.set(pid, identify(pid));
  }

  /** Lifecycle events from the master's log (records with an `event` field), optionally filtered. */
  events(name, filter = () => true) {
    return this.records.filter((r) => r.event !== undefined && (name === undefined || r.event === name) && filter(r));
  }

  waitEvent(name, filter = () => true, { timeoutMs = BOOT_TIMEOUT_MS, count = 1 } = {}) {
    return waitFor(
      () => {
        const found = this.events(name, filter);
        return found.length >= count ? found[count - 1] : undefined;
      },
      { timeoutMs, message: `${count} '${name}' event(s) from drover (stderr so far: ${JSON.stringify(this.stderr.slice(-500))})` },
    );
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
  async assertNothingLeft({ timeoutMs = 5_000 } = {}) {
    await assertAllGone([...this.tracked.values()], { timeoutMs, what: 'drover master, workers or their children' });
  }

  /** The stderr line drover writes for an error: `drover: <message> [CODE]`. */
  errorLine() {
    return this.stderr
      .split('\n')
      .filter((l) => /^drover: .* \[DROVER_E_[A-Z_]+\]$/.test(l))
      .pop();
  }

  async cleanup() {
    for (const proc of this.tracked.values()) {
      if (proc.pid === this.pid) continue;
      killTree(proc);
    }
    if (this.exitInfo === undefined) {
      this.child.kill('SIGKILL');
      await withTimeout(this.exited, 5_000, 'the killed master to close').catch(() => {});
    }
    for (const proc of this.tracked.values()) if (proc.pid !== this.pid && isAlive(proc)) killTree(proc);
  }
}

/** `drover run <args>`; ended by the test's t.after whatever happens. */
export function runDrover(t, args, options) {
  return new DroverProcess(t, args, options);
}

/**
 * The library API in this process: supervise(options) with no logger. Every
 * lifecycle event is recorded in `events`; the supervisor is force-stopped and
 * every worker group killed after the test.
 */
export async function superviseForTest(t, options) {
  const { supervise } = await import('../../dist/index.js');
  const sup = supervise(options, { logger: false });
  const events = [];
  const tracked = new Map();
  const names = ['fork', 'online', 'listening', 'ready', 'disconnect', 'crash', 'exit', 'restart', 'giveup', 'started', 'start-failed', 'scale', 'stopping', 'stopped', 'agent-spawn', 'agent-ready', 'agent-crash', 'agent-exit', 'agent-restart', 'agent-gave-up'];
  for (const name of names) {
    sup.on(name, (e) => {
      events.push(e);
      if ((name === 'fork' || name === 'agent-spawn') && typeof e.pid === 'number') tracked.set(e.pid, identify(e.pid));
    });
  }
  t.after(async () => {
    if (!sup.outcome) await withTimeout(sup.stop({ force: true }), 5_000, 'the supervisor to stop').catch(() => {});
    for (const proc of tracked.values()) if (isAlive(proc)) killTree(proc);
  });
  return {
    sup,
    events,
    of: (name) => events.filter((e) => e.event === name),
    assertNothingLeft: (opts) => assertAllGone([...tracked.values()], { what: 'workers', ...opts }),
  };
}
