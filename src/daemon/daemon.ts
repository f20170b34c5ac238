// The daemon: thin on purpose. It starts one app master per app (a detached
// process that does not depend on the daemon), restarts a master that dies
// unless it was stopped, routes commands to the masters, and keeps the saved
// app list. It never sits on an app's hot path: connections, logs and worker
// supervision all live in the app masters.
//
// It loads no zod, pino or app code, so it starts fast and stays small;
// options are validated by the app master (resolveSpec) before any worker
// starts, and a rejected start leaves nothing behind.
import { startDaemonHttp } from './http-hooks.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { redactEnv } from '../config/env.js';
import { didYouMean } from '../config/suggest.js';
import { DroverError, isDroverError, type ErrorCode } from '../errors.js';
import { readDump, restoreApp, writeDump } from './dump.js';
import { appSocket, checkAppName, logFiles, masterLog, type DroverPaths } from './paths.js';
import { procStats, pruneSamples } from './procstats.js';
import { ControlClient, listenControl, removeSocket, toWireError, type ControlServer, type RequestContext, type WireError } from './protocol.js';
import type { AppDescription, AppState, AppSummary, LaunchRecord, MasterStatus, StartResult } from './types.js';

const MASTER_JS = fileURLToPath(new URL('./app-master.js', import.meta.url));
const VERSION = (() => {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
})();

/** A master that dies more often than this within the window is left errored. */
const MASTER_RESTART_LIMIT = 5;
const MASTER_RESTART_WINDOW_MS = 60_000;
const CONNECT_TIMEOUT_MS = 15_000;
const STATUS_TIMEOUT_MS = 3_000;

interface MasterProcess {
  readonly pid: number | undefined;
  /** Unset for a master the CLI started (a cold `drover start`): not this daemon's child. */
  readonly child: ChildProcess | undefined;
  exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
}

interface AppEntry {
  readonly name: string;
  record: LaunchRecord;
  state: AppState;
  masterPid: number | undefined;
  client: ControlClient | undefined;
  /** A stop or delete was asked for: the master's end is not a crash. */
  stopping: boolean;
  masterRestarts: number;
  restartTimes: number[];
  restartTimer: NodeJS.Timeout | undefined;
  lastError: { code: string; message: string } | undefined;
  /** Resolves when the current master's connection closes. */
  gone: Promise<void>;
}

export function log(message: string): void {
  process.stderr.write(`${new Date().toISOString()} ${message}\n`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The `drover: <message> [CODE]` line a master writes to its log before it exits on an error. */
function lastErrorLine(file: string, name: string): DroverError | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').slice(-16384);
  } catch {
    return undefined;
  }
  const lines = text
    .trim()
    .split('\n')
    .filter((l) => l.includes(`[${name}] `))
    .reverse();
  for (const line of lines) {
    const m = /drover: (.*) \[(DROVER_E_[A-Z_]+)\]$/.exec(line);
    if (m) return new DroverError(m[2] as ErrorCode, m[1]!);
  }
  const tail = lines.slice(0, 5).reverse().join(' | ');
  return tail ? new DroverError('DROVER_E_MASTER_DIED', `the app master exited: ${tail}`) : undefined;
}

export class Daemon {
  private readonly apps = new Map<string, AppEntry>();
  private spare: MasterProcess | undefined;
  private server: ControlServer | undefined;
  private readonly startedAt = Date.now();
  private exiting = false;
  /** Commands wait until adoption and crash restore are done, so none sees a partial app list. */
  private markBooted!: () => void;
  private readonly booted = new Promise<void>((resolve) => (this.markBooted = resolve));

  constructor(private readonly paths: DroverPaths) {}

  // ── boot ────────────────────────────────────────────────────────────────

  /** Returns false when another daemon is running (this one should exit). */
  async boot(): Promise<boolean> {
    const crashed = this.takePidFile();
    if (crashed === undefined) return false;
    try {
      this.server = await listenControl(this.paths.socket, (c, a, ctx) => this.handle(c, a, ctx));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      // A live daemon answers on it; a dead one left the file behind.
      const other = await ControlClient.connect(this.paths.socket, { timeoutMs: 2000 }).catch(() => undefined);
      if (other) {
        const info = await other.call<{ pid: number }>('ping', {}, { timeoutMs: 2000 }).catch(() => undefined);
        other.destroy();
        if (info) writeFileSync(this.paths.pidFile, `${info.pid}\n`, { mode: 0o600 });
        return false;
      }
      removeSocket(this.paths.socket);
      this.server = await listenControl(this.paths.socket, (c, a, ctx) => this.handle(c, a, ctx));
    }
    log(`daemon ${process.pid} listening on ${this.paths.socket} (drover ${VERSION}, node ${process.version})`);
    // HTTP endpoint for all apps (issue 13), when DROVER_HTTP_PORT is set.
    startDaemonHttp(this.paths).then(
      (http) => http && log(`HTTP (metrics, health) on ${http.origin}`),
      (err: Error) => log(`HTTP endpoint not started: ${err.message}`),
    );
    // Booting in parallel with the rest of the daemon: the first `drover start` (cold) uses it,
    // unless the CLI started that app's master itself (then a spare would only compete for CPU;
    // the first launch makes one).
    if (!process.argv.includes('--master-prespawned')) this.replenishSpare();
    try {
      await this.adoptAll();
    } finally {
      this.markBooted();
    }
    if (crashed) {
      log('the previous daemon did not exit cleanly: restoring the saved app list');
      await this.resurrect(process.env, true).catch((err) => log(`restore after crash: ${(err as Error).message}`));
    }
    return true;
  }

  /**
   * The pid file says whether a daemon runs. Returns true when a previous
   * daemon died without removing it (a crash), false on a clean start, and
   * undefined when a live daemon holds it.
   */
  private takePidFile(): boolean | undefined {
    let crashed = false;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fd = openSync(this.paths.pidFile, 'wx', 0o600);
        writeFileSync(fd, `${process.pid}\n`);
        closeSync(fd);
        return crashed;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const pid = Number(readFileSync(this.paths.pidFile, 'utf8').trim());
      if (pid > 0 && pid !== process.pid && isDaemonProcess(pid)) return undefined;
      crashed = true;
      try {
        unlinkSync(this.paths.pidFile);
      } catch {}
    }
    throw new DroverError('DROVER_E_DAEMON_UNREACHABLE', `cannot take the pid file ${this.paths.pidFile}`);
  }

  /** App masters still running from a previous daemon: connect and watch them. */
  private async adoptAll(): Promise<void> {
    let names: string[];
    try {
      names = readdirSync(this.paths.apps).filter((f) => f.endsWith('.sock'));
    } catch {
      return;
    }
    await Promise.all(
      names.map(async (file) => {
        const socket = path.join(this.paths.apps, file);
        let client: ControlClient;
        try {
          client = await ControlClient.connect(socket, { timeoutMs: 5000, lostCode: 'DROVER_E_MASTER_DIED' });
        } catch (err) {
          // Only a socket nobody listens on is stale; a slow master keeps its socket.
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'ECONNREFUSED' || code === 'ENOENT') removeSocket(socket);
          else log(`could not adopt ${socket}: ${(err as Error).message}`);
          return;
        }
        try {
          const info = await client.call<{ pid: number; record: LaunchRecord; status: MasterStatus }>('info', {}, { timeoutMs: STATUS_TIMEOUT_MS });
          const entry = this.newEntry(info.record);
          entry.masterPid = info.pid;
          entry.state = info.status.phase === 'running' ? 'online' : info.status.phase === 'stopping' ? 'stopping' : 'starting';
          this.apps.set(entry.name, entry);
          this.attach(entry, client);
          log(`adopted ${entry.name} (master pid ${info.pid}, ${info.status.workers.length} workers)`);
        } catch (err) {
          client.destroy();
          log(`could not adopt ${socket}: ${(err as Error).message}`);
        }
      }),
    );
  }

  private newEntry(record: LaunchRecord): AppEntry {
    return {
      name: record.name,
      record,
      state: 'launching',
      masterPid: undefined,
      client: undefined,
      stopping: false,
      masterRestarts: 0,
      restartTimes: [],
      restartTimer: undefined,
      lastError: undefined,
      gone: Promise.resolve(),
    };
  }

  // ── app masters ─────────────────────────────────────────────────────────

  /** Watches a master over its control connection: its end without a halt reply is a crash. */
  private attach(entry: AppEntry, client: ControlClient): void {
    entry.client = client;
    let halted = false;
    let resolveGone!: () => void;
    entry.gone = new Promise((r) => (resolveGone = r));
    client
      .call<{ exitCode: number; error?: { code: string; message: string }; stopRequested: boolean }>('watch')
      .then((outcome) => {
        halted = true;
        if (outcome.error) entry.lastError = outcome.error;
        if (entry.client === client) entry.state = outcome.stopRequested || entry.stopping ? 'stopped' : outcome.exitCode === 0 ? 'stopped' : 'errored';
        if (outcome.error && !entry.stopping) log(`${entry.name}: stopped on its own: ${outcome.error.message}`);
      })
      .catch(() => {});
    client.on('close', () => {
      resolveGone();
      if (entry.client !== client) return;
      entry.client = undefined;
      entry.masterPid = undefined;
      if (entry.stopping || halted || this.exiting || this.apps.get(entry.name) !== entry) {
        if (entry.state !== 'errored') entry.state = 'stopped';
        return;
      }
      log(`${entry.name}: app master died unexpectedly`);
      this.scheduleMasterRestart(entry);
    });
  }

  private scheduleMasterRestart(entry: AppEntry): void {
    const now = Date.now();
    entry.restartTimes = entry.restartTimes.filter((t) => now - t < MASTER_RESTART_WINDOW_MS);
    if (entry.restartTimes.length >= MASTER_RESTART_LIMIT) {
      entry.state = 'errored';
      entry.lastError = { code: 'DROVER_E_MASTER_DIED', message: `the app master died ${entry.restartTimes.length} times within ${MASTER_RESTART_WINDOW_MS / 1000} s; not restarting it` };
      log(`${entry.name}: ${entry.lastError.message}`);
      return;
    }
    entry.restartTimes.push(now);
    entry.state = 'restarting';
    const delay = Math.min(100 * 2 ** (entry.restartTimes.length - 1), 5_000);
    entry.restartTimer = setTimeout(() => {
      entry.restartTimer = undefined;
      if (entry.stopping || this.apps.get(entry.name) !== entry) return;
      entry.masterRestarts++;
      this.launch(entry).then(
        () => log(`${entry.name}: app master restarted (pid ${entry.masterPid})`),
        (err) => {
          entry.state = 'errored';
          entry.lastError = toWireError(err) as { code: string; message: string };
          log(`${entry.name}: restarting the app master failed: ${(err as Error).message}`);
        },
      );
    }, delay);
  }

  /**
   * An app master process with no app yet: it loads its modules (~150-250 ms:
   * zod, pino, the supervisor) and waits for a launch record on stdin. The
   * daemon keeps one ready, so `drover start` does not wait for that. The
   * spare's stdin is a pipe from the daemon: when the daemon goes, the spare
   * reads end-of-file and exits (no orphan). DROVER_SPARE_MASTER=0 disables
   * it (saves one idle Node process, ~50 MB, at the cost of start latency).
   */
  private spawnMaster(): MasterProcess {
    const fd = openSync(masterLog(this.paths), 'a', 0o600);
    try {
      const child = spawn(process.execPath, [MASTER_JS], {
        detached: true,
        stdio: ['pipe', 'ignore', fd],
        env: { ...process.env, DROVER_HOME: this.paths.home },
        cwd: this.paths.home,
      });
      const proc: MasterProcess = { pid: child.pid, child, exited: undefined };
      child.on('error', () => {});
      child.on('exit', (code, signal) => {
        proc.exited = { code, signal };
        if (this.spare === proc) this.spare = undefined;
      });
      child.stdin!.on('error', () => {});
      child.unref();
      return proc;
    } finally {
      closeSync(fd);
    }
  }

  private replenishSpare(): void {
    if (this.spare || this.exiting || process.env.DROVER_SPARE_MASTER === '0') return;
    this.spare = this.spawnMaster();
  }

  /**
   * Starts the master (the spare, a new one, or the one the CLI already
   * started and hands the record to itself), connects to its socket and waits
   * until its workers are ready.
   */
  private async launch(entry: AppEntry, prespawnedPid?: number): Promise<StartResult> {
    const { record } = entry;
    const socket = appSocket(this.paths, record.name);
    const logFile = masterLog(this.paths);
    entry.state = 'starting';
    entry.stopping = false;
    let proc: MasterProcess;
    if (prespawnedPid !== undefined) proc = { pid: prespawnedPid, child: undefined, exited: undefined };
    else {
      proc = this.spare && !this.spare.exited ? this.spare : this.spawnMaster();
      if (proc === this.spare) this.spare = undefined;
      proc.child!.stdin!.end(JSON.stringify(record));
    }
    entry.masterPid = proc.pid;
    try {
      return await this.connectMaster(entry, proc, socket, logFile);
    } finally {
      // The next spare boots once this start is done, not competing with it for CPU.
      this.replenishSpare();
    }
  }

  private async connectMaster(entry: AppEntry, proc: MasterProcess, socket: string, logFile: string): Promise<StartResult> {
    const { record } = entry;
    // The master listens on its socket before it does anything else.
    const deadline = Date.now() + CONNECT_TIMEOUT_MS;
    let client: ControlClient | undefined;
    while (!client) {
      if (!proc.child && !pidAlive(proc.pid)) proc.exited = { code: null, signal: null };
      const exited = proc.exited;
      if (exited) throw lastErrorLine(logFile, record.name) ?? new DroverError('DROVER_E_MASTER_DIED', `the app master of ${record.name} exited (${exited.signal ?? exited.code}) before it listened`);
      if (Date.now() > deadline) {
        try {
          process.kill(proc.pid!, 'SIGKILL');
        } catch {}
        throw new DroverError('DROVER_E_MASTER_DIED', `the app master of ${record.name} did not open ${socket} within ${CONNECT_TIMEOUT_MS} ms: see ${logFile}`);
      }
      client = existsSync(socket) ? await ControlClient.connect(socket, { timeoutMs: 1000, lostCode: 'DROVER_E_MASTER_DIED', lostMessage: `the app master of ${record.name} exited` }).catch(() => undefined) : undefined;
      if (!client) await sleep(5);
    }
    this.attach(entry, client);
    try {
      const ready = await client.call<{ workers: number; durationMs: number; addresses: string[] }>('wait-ready');
      if (entry.stopping) {
        // Stopped or deleted while it was starting (a master restart, say): honour that.
        await client.call('stop').catch(() => {});
        throw new DroverError('DROVER_E_STOPPED', `${record.name} was stopped while it started`);
      }
      entry.state = 'online';
      entry.lastError = undefined;
      return { name: record.name, masterPid: proc.pid!, workers: ready.workers, durationMs: ready.durationMs, addresses: ready.addresses };
    } catch (err) {
      // The master exits by itself after a failed start; it is not a crash.
      const stoppedMeanwhile = entry.stopping;
      entry.stopping = true;
      entry.state = stoppedMeanwhile ? 'stopped' : 'errored';
      entry.lastError = toWireError(err) as { code: string; message: string };
      throw err;
    }
  }

  private async stopEntry(entry: AppEntry, force = false): Promise<{ name: string; exitCode: number }> {
    entry.stopping = true;
    clearTimeout(entry.restartTimer);
    entry.restartTimer = undefined;
    const client = entry.client;
    if (!client) {
      entry.state = entry.state === 'errored' ? 'errored' : 'stopped';
      return { name: entry.name, exitCode: 0 };
    }
    entry.state = 'stopping';
    const outcome = await client.call<{ exitCode: number }>('stop', { force }).catch((err) => {
      if (isDroverError(err) && err.code === 'DROVER_E_MASTER_DIED') return { exitCode: 0 };
      throw err;
    });
    await entry.gone;
    entry.state = 'stopped';
    return { name: entry.name, exitCode: outcome.exitCode };
  }

  // ── commands ────────────────────────────────────────────────────────────

  private resolveNames(target: unknown): AppEntry[] {
    const names = target === 'all' || target === undefined ? [...this.apps.keys()] : Array.isArray(target) ? target.map(String) : [String(target)];
    if (target !== 'all' && target !== undefined && names.length === 0) throw new DroverError('DROVER_E_USAGE', 'no app named');
    const unknown = names.filter((n) => !this.apps.has(n));
    if (unknown.length > 0) {
      const guess = didYouMean(unknown[0]!, [...this.apps.keys()]);
      throw new DroverError(
        'DROVER_E_APP_NOT_FOUND',
        `no app named ${unknown.map((n) => JSON.stringify(n)).join(', ')}${guess ? ` (did you mean "${guess}"?)` : ''}: see drover list`,
        { names: unknown },
      );
    }
    return names.map((n) => this.apps.get(n)!);
  }

  private async handle(command: string, args: Record<string, unknown>, ctx: RequestContext): Promise<unknown> {
    await this.booted;
    switch (command) {
      case 'ping':
        return { pid: process.pid, version: VERSION, uptimeMs: Date.now() - this.startedAt, home: this.paths.home, apps: this.apps.size };
      case 'start':
        return this.start((args.records as LaunchRecord[]) ?? [], (args.prespawned as Record<string, number> | undefined) ?? {}, ctx);
      case 'list':
        return this.list();
      case 'describe':
        return this.describe(this.resolveNames([String(args.name)])[0]!);
      case 'stop': {
        const entries = this.resolveNames(args.target);
        return Promise.all(entries.map((e) => this.stopEntry(e, args.force === true)));
      }
      case 'delete': {
        const entries = this.resolveNames(args.target);
        return Promise.all(
          entries.map(async (e) => {
            const r = await this.stopEntry(e, args.force === true);
            if (this.apps.get(e.name) === e) this.apps.delete(e.name);
            return r;
          }),
        );
      }
      case 'restart': {
        const entries = this.resolveNames(args.target);
        return this.settleEach(entries, async (e) => {
          if (e.client) await this.stopEntry(e);
          return this.launch(e);
        });
      }
      case 'reload': {
        const entries = this.resolveNames(args.target);
        return this.settleEach(entries, async (e) => {
          if (!e.client) throw new DroverError('DROVER_E_RELOAD_REFUSED', `${e.name} is not running (${e.state}): use drover restart ${e.name}`);
          const onEvent = (event: string, data: unknown) => ctx.emit(event, { app: e.name, ...(data as object) });
          return e.client.call('reload', {}, { onEvent });
        });
      }
      case 'scale': {
        const [entry] = this.resolveNames([String(args.name)]);
        if (!entry!.client) throw new DroverError('DROVER_E_RELOAD_REFUSED', `${entry!.name} is not running (${entry!.state}): start it first`);
        const n = Number(args.instances);
        if (!Number.isInteger(n) || n < 0) throw new DroverError('DROVER_E_INVALID_OPTION', `scale: the worker count must be a whole number >= 0, got ${JSON.stringify(args.instances)}`);
        const result = await entry!.client.call('scale', { instances: n });
        // The saved record follows, so a master restart or a resurrect keeps the new count.
        entry!.record = { ...entry!.record, options: { ...entry!.record.options, instances: n === 0 ? entry!.record.options.instances : n } };
        return result;
      }
      case 'signal': {
        const entries = this.resolveNames(args.target);
        return Promise.all(
          entries.map((e) => {
            if (!e.client) throw new DroverError('DROVER_E_RELOAD_REFUSED', `${e.name} is not running (${e.state})`);
            return e.client.call('signal', { signal: args.signal }).then((r) => ({ name: e.name, ...(r as object) }));
          }),
        );
      }
      case 'save':
        return this.save();
      case 'resurrect':
        return this.resurrect((args.env as Record<string, string>) ?? {}, false);
      case 'kill':
        return this.kill();
      default:
        throw new DroverError('DROVER_E_PROTOCOL', `unknown command "${command}": is the CLI newer than the daemon? Run drover kill, then try again`);
    }
  }

  /** Runs fn for each entry; failures are reported per app, not thrown. */
  private async settleEach<T>(entries: AppEntry[], fn: (e: AppEntry) => Promise<T>): Promise<Array<{ name: string; ok: boolean; data?: T; error?: WireError }>> {
    return Promise.all(
      entries.map((e) =>
        fn(e).then(
          (data) => ({ name: e.name, ok: true, data }),
          (err) => ({ name: e.name, ok: false, error: toWireError(err) }),
        ),
      ),
    );
  }

  /**
   * prespawned: app name → pid of a master the CLI started itself (cold
   * start); the CLI hands it the record once it sees the 'accepted' event,
   * or ends it if the start is rejected.
   */
  private async start(records: LaunchRecord[], prespawned: Readonly<Record<string, number>> = {}, ctx?: RequestContext) {
    // Everything is checked before anything starts.
    const seen = new Set<string>();
    if (!Array.isArray(records)) throw new DroverError('DROVER_E_PROTOCOL', 'start: records must be an array of launch records');
    for (const r of records) {
      const ok = r && typeof r.name === 'string' && r.options && typeof r.options.script === 'string' && r.env && typeof r.env === 'object';
      if (!ok) throw new DroverError('DROVER_E_PROTOCOL', 'start: a launch record needs {name, options: {script, ...}, env, source, createdAt}');
      checkAppName(r.name);
      appSocket(this.paths, r.name);
      if (seen.has(r.name)) throw new DroverError('DROVER_E_INVALID_OPTION', `two apps are named ${r.name}: give each its own name`);
      seen.add(r.name);
      const existing = this.apps.get(r.name);
      if (existing && existing.state !== 'stopped' && existing.state !== 'errored') {
        throw new DroverError('DROVER_E_APP_EXISTS', `${r.name} is already running (${existing.state}): use drover reload ${r.name} or drover restart ${r.name}, or drover delete ${r.name} first`, {
          name: r.name,
        });
      }
    }
    const entries = records.map((r) => {
      const prior = this.apps.get(r.name);
      const entry = this.newEntry({ ...r, createdAt: prior?.record.createdAt ?? r.createdAt });
      this.apps.set(r.name, entry);
      return entry;
    });
    ctx?.emit('accepted', { names: entries.map((e) => e.name) });
    const results = await this.settleEach(entries, (e) => this.launch(e, prespawned[e.name]));
    // A start that failed leaves no app behind.
    for (const [i, r] of results.entries()) {
      if (!r.ok && this.apps.get(r.name) === entries[i]) {
        this.apps.delete(r.name);
        void entries[i]!.gone.then(() => removeSocket(appSocket(this.paths, r.name)));
      }
    }
    return results;
  }

  private async status(entry: AppEntry): Promise<MasterStatus | undefined> {
    if (!entry.client) return undefined;
    return entry.client.call<MasterStatus>('status', {}, { timeoutMs: STATUS_TIMEOUT_MS }).catch(() => undefined);
  }

  private summary(entry: AppEntry, s: MasterStatus | undefined): AppSummary {
    let cpu = 0;
    let memory = 0;
    const pids = (s?.workers ?? []).map((w) => w.pid);
    if (s?.agent) pids.push(s.agent.pid);
    for (const pid of pids) {
      const st = procStats(pid);
      if (st) {
        cpu += st.cpu;
        memory += st.memory;
      }
    }
    let state = entry.state;
    if (s && state === 'online' && s.phase === 'stopping') state = 'stopping';
    return {
      name: entry.name,
      status: state,
      masterPid: entry.masterPid,
      mode: s ? (s.mode === 'exec' ? 'exec' : s.balance) : '-',
      ready: s ? s.workers.filter((w) => w.phase === 'ready' && w.role === 'active').length : 0,
      desired: s?.desired ?? 0,
      restarts: s?.restarts ?? 0,
      masterRestarts: entry.masterRestarts,
      uptimeMs: s?.uptimeMs ?? 0,
      cpu: Math.round(cpu * 10) / 10,
      memory,
      lastError: entry.lastError ?? s?.lastError,
    };
  }

  /** In the order the apps were first started (adoption order is arbitrary). */
  private ordered(): AppEntry[] {
    return [...this.apps.values()].sort((a, b) => a.record.createdAt - b.record.createdAt || (a.name < b.name ? -1 : 1));
  }

  private async list(): Promise<AppSummary[]> {
    const entries = this.ordered();
    const statuses = await Promise.all(entries.map((e) => this.status(e)));
    const rows = entries.map((e, i) => this.summary(e, statuses[i]));
    pruneSamples(new Set(statuses.flatMap((s) => (s ? s.workers.map((w) => w.pid ?? 0) : []))));
    return rows;
  }

  private async describe(entry: AppEntry): Promise<AppDescription> {
    const s = await this.status(entry);
    const head = this.summary(entry, s);
    const { env: declared, ...options } = entry.record.options;
    const ports = (s?.addresses ?? []).map((a) => Number(/:(\d+)$/.exec(a)?.[1])).filter((p) => Number.isInteger(p) && p > 0);
    return {
      ...head,
      script: s?.script ?? String(entry.record.options.script),
      args: s?.args ?? entry.record.options.args ?? [],
      cwd: s?.cwd ?? String(entry.record.options.cwd ?? ''),
      balance: s?.balance ?? String(entry.record.options.balance ?? 'round-robin'),
      addresses: s?.addresses ?? [],
      ports: [...new Set(ports)],
      workers: (s?.workers ?? []).map((w) => ({ ...w, ...procStats(w.pid) })),
      master: { pid: entry.masterPid, ...procStats(entry.masterPid) },
      agent: s?.agent && { ...s.agent, ...procStats(s.agent.pid) },
      env: redactEnv((declared ?? {}) as Record<string, string>),
      options,
      source: entry.record.source,
      createdAt: entry.record.createdAt,
      logs: s?.logs ?? { ...logFiles(this.paths.logs, entry.name, entry.record.logs), master: masterLog(this.paths) },
      logStats: s?.logStats,
    };
  }

  private save() {
    const records = this.ordered().filter((e) => e.state !== 'stopped' && e.state !== 'errored').map((e) => e.record);
    const dump = writeDump(this.paths.dump, records);
    return {
      file: this.paths.dump,
      apps: dump.apps.map((a) => a.name),
      secretsLeftOut: dump.apps.flatMap((a) => [...new Set([...a.secrets.declared, ...a.secrets.env])].map((k) => `${a.name}:${k}`)),
    };
  }

  private async resurrect(env: Readonly<Record<string, string | undefined>>, quiet: boolean) {
    const dump = readDump(this.paths.dump);
    const warnings: string[] = [];
    const records: LaunchRecord[] = [];
    const skipped: string[] = [];
    for (const app of dump.apps) {
      const existing = this.apps.get(app.name);
      if (existing && existing.state !== 'stopped' && existing.state !== 'errored') {
        skipped.push(app.name);
        continue;
      }
      const { record, missing } = restoreApp(app, env);
      if (missing.length > 0) warnings.push(`${app.name}: secret env ${missing.join(', ')} not saved and not set in this environment: the app starts without them`);
      records.push(record);
    }
    if (!quiet) for (const w of warnings) log(w);
    const results = records.length > 0 ? await this.start(records) : [];
    return { results, skipped, warnings };
  }

  private async kill() {
    const entries = [...this.apps.values()];
    const stopped = await Promise.all(entries.map((e) => this.stopEntry(e).catch((err) => ({ name: e.name, exitCode: -1, error: (err as Error).message }))));
    setImmediate(() => void this.shutdown(0));
    return { pid: process.pid, stopped };
  }

  /** Leaves the app masters running (unless kill stopped them) and exits. */
  async shutdown(code: number): Promise<void> {
    if (this.exiting) return;
    this.exiting = true;
    for (const e of this.apps.values()) {
      clearTimeout(e.restartTimer);
      e.client?.destroy();
    }
    this.spare?.child?.stdin?.end();
    removeSocket(this.paths.socket);
    await this.server?.close();
    try {
      if (Number(readFileSync(this.paths.pidFile, 'utf8').trim()) === process.pid) unlinkSync(this.paths.pidFile);
    } catch {}
    log(`daemon ${process.pid} exiting`);
    process.exit(code);
  }
}

function pidAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return process.platform !== 'linux';
  }
}

/** Is pid a drover daemon (not a stranger that got the pid of a dead one)? */
function isDaemonProcess(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (/\) Z /.test(stat)) return false;
    return cmdline.includes('daemon/main.js');
  } catch {
    return process.platform !== 'linux';
  }
}
