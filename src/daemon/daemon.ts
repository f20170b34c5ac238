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
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_DIR } from '../platform/install-dir.cjs';
import { didYouMean } from '../config/suggest.js';
import { ControlClient } from '../control/client.js';
import type { DaemonCommands, MasterCommands, ReloadResult, Settled } from '../control/commands.js';
import { appSocket, checkAppName, type DroverPaths } from '../control/paths.js';
import type { AppDescription, AppSummary, LaunchRecord, MasterStatus } from '../control/records.js';
import { listenControl, removeSocket, type CommandHandlers, type ControlServer, type RequestContext } from '../control/server.js';
import { fromWireError, toWireError } from '../control/wire.js';
import { DroverError, isDroverError } from '../errors.js';
import { describeApp, newEntry, statPids, summarize, type AppEntry } from './app-entry.js';
import { readDump, restoreApp, writeDump } from './dump.js';
import { log } from './log.js';
import { trace } from '../control/trace.js';
import { Masters, type MasterClient } from './masters.js';
import { releasePidFile, takePidFile } from './pid-file.js';
import { formatPidClaim } from '../platform/proc-identity.js';
import { stderrStats } from '../platform/safe-log.js';
import { StatSampler } from './stat-sampler.js';
import { IdleGc } from './idle-gc.js';

const VERSION = (() => {
  try {
    return (JSON.parse(readFileSync(path.join(PACKAGE_DIR, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
})();

const STATUS_TIMEOUT_MS = 3_000;

export class Daemon {
  private readonly apps = new Map<string, AppEntry>();
  private readonly masters: Masters;
  private server: ControlServer | undefined;
  private readonly startedAt = Date.now();
  /** CPU and memory for `list`, read ahead of the request. */
  private readonly sampler = new StatSampler();
  private readonly idleGc = new IdleGc();
  private exiting = false;
  /** Commands wait until adoption and crash restore are done, so none sees a partial app list. */
  private markBooted!: () => void;
  private readonly booted = new Promise<void>((resolve) => (this.markBooted = resolve));
  private markExited!: (code: number) => void;
  /** Resolves with the exit status once shutdown() is done: the entry point exits, the daemon never does. */
  readonly exited = new Promise<number>((resolve) => (this.markExited = resolve));

  constructor(private readonly paths: DroverPaths) {
    this.masters = new Masters(paths, { isCurrent: (e) => this.apps.get(e.name) === e, exiting: () => this.exiting });
  }

  // ── boot ────────────────────────────────────────────────────────────────

  /** Returns false when another daemon is running (this one should exit). */
  async boot(): Promise<boolean> {
    const crashed = takePidFile(this.paths.pidFile);
    if (crashed === undefined) return false;
    const listen = () =>
      listenControl<DaemonCommands>(this.paths.socket, this.handlers(), {
        before: () => this.booted,
        after: this.idleGc.touch,
        unknownCommand: (command) => new DroverError('DROVER_E_PROTOCOL', `unknown command "${command}": is the CLI newer than the daemon? Run drover kill, then try again`),
      });
    try {
      this.server = await listen();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      // A live daemon answers on it; a dead one left the file behind.
      const other = await ControlClient.connect<DaemonCommands>(this.paths.socket, { timeoutMs: 2000 }).catch(() => undefined);
      if (other) {
        const info = await other.call('ping', {}, { timeoutMs: 2000 }).catch(() => undefined);
        other.destroy();
        if (info) writeFileSync(this.paths.pidFile, formatPidClaim(info.pid), { mode: 0o600 });
        return false;
      }
      removeSocket(this.paths.socket);
      this.server = await listen();
    }
    log(`daemon ${process.pid} listening on ${this.paths.socket} (drover ${VERSION}, node ${process.version})`);
    // HTTP endpoint for all apps (issue 13), when DROVER_HTTP_PORT is set.
    startDaemonHttp(this.paths).then(
      (http) => http && log(`HTTP (metrics, health) on ${http.origin}`),
      (err: Error) => log(`HTTP endpoint not started: ${err.message}`),
    );
    // Booting in parallel with the rest of the daemon: the first `drover start` (cold) uses it,
    // unless the CLI started that app's master itself (then a standby would only compete for CPU;
    // the first launch makes one).
    if (!process.argv.includes('--master-prespawned')) this.masters.replenishStandby();
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
        let client: MasterClient;
        try {
          client = await ControlClient.connect<MasterCommands>(socket, { timeoutMs: 5000, lostCode: 'DROVER_E_MASTER_DIED' });
        } catch (err) {
          // Only a socket nobody listens on is stale; a slow master keeps its socket.
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'ECONNREFUSED' || code === 'ENOENT') removeSocket(socket);
          else log(`could not adopt ${socket}: ${(err as Error).message}`);
          return;
        }
        try {
          const info = await client.call('info', {}, { timeoutMs: STATUS_TIMEOUT_MS });
          const entry = newEntry(info.record);
          entry.masterPid = info.pid;
          entry.state = info.status.phase === 'running' ? 'online' : info.status.phase === 'stopping' ? 'stopping' : 'starting';
          this.apps.set(entry.name, entry);
          this.masters.attach(entry, client);
          log(`adopted ${entry.name} (master pid ${info.pid}, ${info.status.workers.length} workers)`);
        } catch (err) {
          client.destroy();
          log(`could not adopt ${socket}: ${(err as Error).message}`);
        }
      }),
    );
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

  private handlers(): CommandHandlers<DaemonCommands> {
    return {
      ping: () => ({ pid: process.pid, version: VERSION, uptimeMs: Date.now() - this.startedAt, home: this.paths.home, apps: this.apps.size, log: stderrStats() }),
      start: (args, ctx) => this.start(args.records ?? [], args.prespawned ?? {}, ctx),
      list: () => this.list(),
      describe: (args) => this.describe(this.resolveNames([String(args.name)])[0]!),
      stop: (args) => Promise.all(this.resolveNames(args.target).map((e) => this.masters.stop(e, args.force === true))),
      delete: (args) =>
        Promise.all(
          this.resolveNames(args.target).map(async (e) => {
            const r = await this.masters.stop(e, args.force === true);
            if (this.apps.get(e.name) === e) this.apps.delete(e.name);
            return r;
          }),
        ),
      restart: async (args) => {
        const records = this.checkRecords(args.records ?? []);
        const named = await this.settleEach(this.namedEntries(args.target, records), (e) => this.restart(e));
        const applied = await this.settleRecords(records, async (r) => {
          const e = this.apps.get(r.name);
          return e ? this.restart(e, r) : this.launchNew(r);
        });
        return [...named, ...applied];
      },
      reload: async (args, ctx) => {
        const records = this.checkRecords(args.records ?? []);
        const emitter = (name: string) => (event: string, data: unknown) => ctx.emit(event, { app: name, ...(data as object) });
        const named = await this.settleEach(this.namedEntries(args.target, records), async (e) => {
          const client = this.masters.running(e, `: use drover restart ${e.name}`);
          return client.call('reload', {}, { onEvent: emitter(e.name) });
        });
        const applied = await this.settleRecords(records, (r) => this.reloadWith(r, emitter(r.name)));
        return [...named, ...applied];
      },
      scale: async (args) => {
        const [entry] = this.resolveNames([String(args.name)]);
        const client = this.masters.running(entry!, ': start it first');
        const n = Number(args.instances);
        if (!Number.isInteger(n) || n < 0) throw new DroverError('DROVER_E_INVALID_OPTION', `scale: the worker count must be a whole number >= 0, got ${JSON.stringify(args.instances)}`);
        const result = await client.call('scale', { instances: n, force: args.force === true, wait: args.wait !== false });
        // The saved record follows, so a master restart or a resurrect keeps the new count.
        entry!.record = { ...entry!.record, options: { ...entry!.record.options, instances: n === 0 ? entry!.record.options.instances : n } };
        return result;
      },
      signal: (args) =>
        Promise.all(
          this.resolveNames(args.target).map(async (e) => {
            const r = await this.masters.running(e).call('signal', { signal: args.signal });
            return { name: e.name, ...r };
          }),
        ),
      save: () => this.save(),
      resurrect: (args) => this.resurrect(args.env ?? {}, false),
      kill: () => this.kill(),
    };
  }

  /** Runs fn for each entry; failures are reported per app, not thrown. */
  private async settleEach<T>(entries: AppEntry[], fn: (e: AppEntry) => Promise<T>): Promise<Array<Settled<T>>> {
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
  private async start(records: readonly LaunchRecord[], prespawned: Readonly<Record<string, number>> = {}, ctx?: RequestContext) {
    trace('daemon: start received');
    // Everything is checked before anything starts.
    for (const r of this.checkRecords(records)) {
      const existing = this.apps.get(r.name);
      if (existing && existing.state !== 'stopped' && existing.state !== 'errored') {
        throw new DroverError('DROVER_E_APP_EXISTS', `${r.name} is already running (${existing.state}): use drover reload ${r.name} or drover restart ${r.name}, or drover delete ${r.name} first`, {
          name: r.name,
        });
      }
    }
    const priors = records.map((r) => this.apps.get(r.name));
    const entries = records.map((r, i) => {
      const entry = newEntry({ ...r, createdAt: priors[i]?.record.createdAt ?? r.createdAt });
      this.apps.set(r.name, entry);
      return entry;
    });
    ctx?.emit('accepted', { names: entries.map((e) => e.name) });
    trace('daemon: accepted sent');
    const results = await this.settleEach(entries, (e) => this.masters.launch(e, prespawned[e.name]));
    // An app whose start failed stays in the list as errored, with the reason (drover list, describe);
    // a start refused before any master ran (a pre-started master that is not ours) leaves the list as it was.
    for (const [i, r] of results.entries()) {
      if (r.ok || this.apps.get(r.name) !== entries[i]) continue;
      if (r.error?.code === 'DROVER_E_PROTOCOL') {
        const prior = priors[i];
        if (prior) this.apps.set(r.name, prior);
        else this.apps.delete(r.name);
        continue;
      }
      void entries[i]!.gone.then(() => removeSocket(appSocket(this.paths, r.name)));
    }
    return results;
  }

  /** Launch records from a client: well-formed, valid names, each name once (throws before anything starts). */
  private checkRecords(records: unknown): readonly LaunchRecord[] {
    if (!Array.isArray(records)) throw new DroverError('DROVER_E_PROTOCOL', 'records must be an array of launch records');
    const seen = new Set<string>();
    for (const r of records as LaunchRecord[]) {
      const ok = r && typeof r.name === 'string' && r.options && typeof r.options.script === 'string' && r.env && typeof r.env === 'object';
      if (!ok) throw new DroverError('DROVER_E_PROTOCOL', 'a launch record needs {name, options: {script, ...}, env, source, createdAt}');
      checkAppName(r.name);
      appSocket(this.paths, r.name);
      if (seen.has(r.name)) throw new DroverError('DROVER_E_INVALID_OPTION', `two apps are named ${r.name}: give each its own name`);
      seen.add(r.name);
    }
    return records as LaunchRecord[];
  }

  /** The apps a reload/restart names besides its records: none for an empty list that came with records. */
  private namedEntries(target: unknown, records: readonly LaunchRecord[]): AppEntry[] {
    if (records.length > 0 && Array.isArray(target) && target.length === 0) return [];
    const entries = this.resolveNames(target);
    return entries.filter((e) => !records.some((r) => r.name === e.name));
  }

  private async settleRecords<T>(records: readonly LaunchRecord[], fn: (r: LaunchRecord) => Promise<T>): Promise<Array<Settled<T>>> {
    return Promise.all(
      records.map((r) =>
        fn(r).then(
          (data) => ({ name: r.name, ok: true, data }),
          (err) => ({ name: r.name, ok: false, error: toWireError(err) }),
        ),
      ),
    );
  }

  /**
   * A re-read config entry over the saved record: its options, log options
   * and source; the environment of the first start and its time stay (as a
   * PM2 restart without --update-env keeps the env it was started with).
   */
  private static renewed(saved: LaunchRecord, next: LaunchRecord): LaunchRecord {
    return { ...next, env: saved.env, createdAt: saved.createdAt };
  }

  /** Stops a running master and starts a new one (with the re-read record, when given). */
  private async restart(entry: AppEntry, next?: LaunchRecord) {
    if (entry.client) await this.masters.stop(entry);
    if (next) entry.record = Daemon.renewed(entry.record, next);
    return this.masters.launch(entry);
  }

  /** A record for an app the daemon does not know: started as `drover start` would. */
  private async launchNew(record: LaunchRecord) {
    const [result] = await this.start([record]);
    if (!result!.ok) throw fromWireError(result!.error!);
    return result!.data!;
  }

  /**
   * A rolling reload with the re-read options; a change only a restart can
   * make (DROVER_E_RELOAD_NEEDS_RESTART, refused before anything changed)
   * restarts the app instead, and says why.
   */
  private async reloadWith(record: LaunchRecord, onEvent: (event: string, data: unknown) => void): Promise<ReloadResult> {
    const entry = this.apps.get(record.name);
    if (!entry || !entry.client) {
      const r = entry ? await this.restart(entry, record) : await this.launchNew(record);
      return { id: 0, workers: r.workers, durationMs: r.durationMs, applied: 'started' };
    }
    try {
      const r = await entry.client.call('reload', { options: record.options }, { onEvent });
      // Log files stay the master's until it restarts.
      entry.record = { ...Daemon.renewed(entry.record, record), logs: entry.record.logs };
      return { ...r, applied: 'reloaded' };
    } catch (err) {
      if (!isDroverError(err) || err.code !== 'DROVER_E_RELOAD_NEEDS_RESTART') throw err;
      const r = await this.restart(entry, record);
      return { id: 0, workers: r.workers, durationMs: r.durationMs, applied: 'restarted', reason: err.message };
    }
  }

  private async status(entry: AppEntry): Promise<MasterStatus | undefined> {
    if (!entry.client) return undefined;
    return entry.client.call('status', {}, { timeoutMs: STATUS_TIMEOUT_MS }).catch(() => undefined);
  }

  /** In the order the apps were first started (adoption order is arbitrary). */
  private ordered(): AppEntry[] {
    return [...this.apps.values()].sort((a, b) => a.record.createdAt - b.record.createdAt || (a.name < b.name ? -1 : 1));
  }

  /**
   * A master's status for `list`: the one read last while the master has
   * announced no change since (its 'changed' events, masters.ts), else asked
   * now. Pushing whole statuses on every change was the alternative: it would
   * send a 100-worker table per event while nobody lists; this sends one small
   * event per change after a read, and a read only after a change.
   */
  private async listStatus(entry: AppEntry): Promise<MasterStatus | undefined> {
    const client = entry.client;
    if (!client) return undefined;
    const last = entry.lastStatus;
    if (last && last.client === client && entry.changes !== undefined && last.changes === entry.changes) {
      return { ...last.status, uptimeMs: Date.now() - last.status.startedAt };
    }
    const changes = entry.changes;
    const status = await this.status(entry);
    // Events that arrive while this was asked make it stale at once (changes moved on).
    if (status && changes !== undefined && entry.client === client) entry.lastStatus = { client, changes, status };
    return status;
  }

  private async list(): Promise<AppSummary[]> {
    const entries = this.ordered();
    const statuses = await Promise.all(entries.map((e) => this.listStatus(e)));
    const rows = entries.map((e, i) => summarize(e, statuses[i], this.sampler.stats));
    this.sampler.track(new Set(statuses.flatMap(statPids)));
    return rows;
  }

  private async describe(entry: AppEntry): Promise<AppDescription> {
    return describeApp(entry, await this.status(entry), this.paths);
  }

  private save() {
    const records = this.ordered()
      .filter((e) => e.state !== 'stopped' && e.state !== 'errored')
      .map((e) => e.record);
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
    const stopped = await Promise.all(entries.map((e) => this.masters.stop(e).catch((err) => ({ name: e.name, exitCode: -1, error: (err as Error).message }))));
    setImmediate(() => void this.shutdown(0));
    return { pid: process.pid, stopped };
  }

  /**
   * Leaves the app masters running (unless kill stopped them), closes the
   * socket and the pid file; `exited` then resolves with `code` (the entry
   * point exits).
   */
  async shutdown(code: number): Promise<void> {
    if (this.exiting) return;
    this.exiting = true;
    for (const e of this.apps.values()) {
      clearTimeout(e.restartTimer);
      e.client?.destroy();
    }
    this.masters.close();
    this.sampler.stop();
    removeSocket(this.paths.socket);
    await this.server?.close();
    releasePidFile(this.paths.pidFile);
    log(`daemon ${process.pid} exiting`);
    this.markExited(code);
  }
}
