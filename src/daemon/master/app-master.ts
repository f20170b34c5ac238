import { waitForScale } from '../../runtime/scale-wait.js';
import { checkWorkerCount } from '../../config/worker-count.js';
// An app master started by the daemon: the same Supervisor as `drover run`,
// with its own control socket (DROVER_HOME/apps/<name>.sock, MasterCommands)
// and its workers' output captured into the app's log files. It does not
// depend on the daemon: if the daemon dies, the app keeps serving and a new
// daemon adopts it by connecting to the socket.
//
// Its state, explicitly: `run` is undefined until the options were checked,
// then either refused (nothing runs; the error waits for the daemon's
// wait-ready) or supervising; `halted` is set once, when the supervisor (or
// the refused start) ended, and answers every `watch`.
import { assertPortFree } from '../../runtime/port-check.js';
import type { SuperviseOptions } from '../../config/schema.js';
import type { MasterCommands, MasterOutcome } from '../../control/commands.js';
import { ControlClient } from '../../control/client.js';
import { appSocket, masterLog, type DroverPaths } from '../../control/paths.js';
import type { LaunchRecord, MasterStatus } from '../../control/records.js';
import { listenControl, removeSocket, type CommandHandlers, type ControlServer, type RequestContext } from '../../control/server.js';
import { installMasterSignals } from '../../control/signals.js';
import { startMasterHttp } from '../http-hooks.js';
import type { AppSpec, LifecycleEvent, Outcome } from '../../core/types.js';
import { DroverError, formatError, isDroverError, type ErrorCode } from '../../errors.js';
import { createAppLog, type AppLog } from '../../logs/app-log.js';
import { formatAddress } from '../../runtime/listen-broker.js';
import { AppSupervisor as Supervisor } from '../../runtime/supervisor.js';
import { appLogger, logSettings } from './app-log-settings.js';
import { WorkerOutput } from './worker-output.js';
import { stateCommand } from '../state-command.js';
import { StatusChanges } from './status-changes.js';
import { trace, tracing } from '../../control/trace.js';
import { discardPrebooted } from '../../runtime/preboot.js';

type Run =
  | { readonly kind: 'refused'; readonly error: DroverError }
  | { readonly kind: 'supervising'; readonly spec: AppSpec; readonly supervisor: Supervisor; readonly output: WorkerOutput };

/**
 * Options to a spec. zod and the schema load only here: the CLI hands a new
 * master a resolved spec (LaunchRecord.spec), so a master that is never
 * reloaded never loads them (~8 MB of private memory, smaps_rollup).
 */
async function resolveOptions(options: SuperviseOptions, source = 'options'): Promise<AppSpec> {
  const { resolveSpec } = await import('../../config/resolve.js');
  return resolveSpec(options, source);
}

/** A refused start stays answerable this long, so the daemon's wait-ready sees the error. */
const REFUSED_LINGER_MS = 1000;

export class AppMaster {
  readonly name: string;
  private readonly socketPath: string;
  private readonly startedAt = Date.now();
  private readonly log: AppLog;
  private server: ControlServer | undefined;
  private run: Run | undefined;
  /** Settles once `run` is set. */
  private checked: Promise<Run> | undefined;
  private halted: MasterOutcome | undefined;
  private readonly watchers = new Set<(outcome: MasterOutcome) => void>();
  /** 'changed' events for the watchers: the daemon answers `list` from the status it read last (issue 17). */
  private readonly changes = new StatusChanges();
  private stopRequested = false;
  private restarts = 0;
  /** restarts by reason: 'crash' (any unplanned exit or hang), 'memory', 'max-requests'. */
  private readonly restartReasons: Record<string, number> = {};
  private reloads = 0;
  private reloading = false;
  private lastError: { code: ErrorCode; message: string } | undefined;

  constructor(
    // Replaced by a reload with new options, so a daemon that adopts this master later gets what runs.
    private record: LaunchRecord,
    private readonly paths: DroverPaths,
  ) {
    this.name = record.name;
    this.socketPath = appSocket(paths, record.name);
    this.log = createAppLog({ dir: paths.logs, name: record.name, ...logSettings(record.logs ?? {}, process.env) });
  }

  /** Opens the control socket, starts the app and resolves with how it ended (the process exits with outcome.exitCode). */
  async main(): Promise<Outcome> {
    await this.claimSocket();
    trace('master: socket claimed');
    this.checked = this.check().then((run) => (this.run = run));
    this.server = await listenControl<MasterCommands>(this.socketPath, this.handlers(), {
      unknownCommand: (command) => new DroverError('DROVER_E_PROTOCOL', `unknown app master command "${command}"`),
    });
    trace('master: control listening');
    const run = await this.checked;
    trace('master: checked');
    this.run = run;
    if (run.kind === 'refused') {
      discardPrebooted();
      this.lastError = { code: run.error.code, message: run.error.message };
      this.log.writeLine('err', 'drover', formatError(run.error));
      await new Promise((resolve) => setTimeout(resolve, REFUSED_LINGER_MS));
      return this.close({ exitCode: run.error.exitCode, error: this.lastError });
    }
    const { supervisor } = run;
    // The daemon's HTTP endpoint asks this master on a unix socket (issue 13).
    await startMasterHttp(supervisor, this.paths, this.name, this.record.options, { line: (text) => this.log.writeLine('err', 'drover', text), stats: () => this.log.stats() });
    trace('master: http socket');
    if (tracing) for (const event of ['fork', 'online', 'listening', 'ready', 'started'] as const) supervisor.on(event, (e: { wid?: number }) => trace(`master: ${event}${e.wid === undefined ? '' : ` w${e.wid}`}`));
    const count = (reason: string) => {
      this.restarts++;
      this.restartReasons[reason] = (this.restartReasons[reason] ?? 0) + 1;
    };
    supervisor.on('restart', () => count('crash'));
    // A worker replaced for maxMemory or maxRequests is restarted too (issue 16); reloads are counted apart.
    supervisor.on('recycle', (e: { reason: string }) => {
      if (e.reason !== 'reload') count(e.reason);
    });
    supervisor.on('start-failed', (e: { code: ErrorCode; message: string }) => (this.lastError = { code: e.code, message: e.message }));
    supervisor.on('giveup', (e: { restarts: number }) => (this.lastError = { code: 'DROVER_E_GIVEUP', message: `workers crashed ${e.restarts} times within the restart window; gave up` }));
    this.changes.follow(supervisor);
    const uninstall = installMasterSignals(() => supervisor, { onStop: () => (this.stopRequested = true) });
    trace('master: supervisor.start()');
    supervisor.start();
    trace('master: supervisor.start() returned');
    // Its first fork took the pre-booted worker, or will never: it goes.
    discardPrebooted();
    const outcome = await supervisor.done;
    uninstall();
    if (outcome.error) this.lastError = outcome.error;
    return this.close(outcome);
  }

  /** One master per name: a live one answering on the socket wins. */
  private async claimSocket(): Promise<void> {
    try {
      const other = await ControlClient.connect<MasterCommands>(this.socketPath, { timeoutMs: 1000 });
      other.destroy();
    } catch {
      removeSocket(this.socketPath);
      return;
    }
    throw new DroverError('DROVER_E_APP_EXISTS', `an app master for ${this.name} is already running: use drover reload/restart ${this.name}`);
  }

  private async check(): Promise<Run> {
    try {
      // Messages name the option as the user wrote it: a flag, or a key of their config file.
      const { source } = this.record;
      const spec = this.record.spec ?? (await resolveOptions(this.record.options, source?.kind === 'config' ? `${source.file}: ${this.name}` : 'command line'));
      if (spec.name !== this.name) throw new DroverError('DROVER_E_INVALID_OPTION', `the app name ${spec.name} does not match its launch record (${this.name})`);
      await assertPortFree(spec);
      const logger = appLogger(this.log, spec.logLevel, this.name);
      const output = new WorkerOutput(this.log);
      const supervisor = new Supervisor(spec, { logger, output: (w, stream, chunk) => output.write(w.wid, w.slot, stream, chunk) });
      return { kind: 'supervising', spec, supervisor, output };
    } catch (err) {
      return { kind: 'refused', error: isDroverError(err) ? err : new DroverError('DROVER_E_INTERNAL', (err as Error).message) };
    }
  }

  /** Answers the watchers, then ends: replies already written go out before the connections end. */
  private async close(outcome: Outcome): Promise<Outcome> {
    const halted: MasterOutcome = { ...outcome, stopRequested: this.stopRequested, restarts: this.restarts };
    this.halted = halted;
    for (const w of this.watchers) w(halted);
    this.watchers.clear();
    this.changes.clear();
    await this.log.close().catch(() => {});
    // The socket file goes first, so a successor may bind the same path at once.
    removeSocket(this.socketPath);
    await this.server?.close();
    return outcome;
  }

  private supervisor(): Supervisor | undefined {
    return this.run?.kind === 'supervising' ? this.run.supervisor : undefined;
  }

  private spec(): AppSpec | undefined {
    return this.run?.kind === 'supervising' ? this.run.spec : undefined;
  }

  private needSupervisor(): Supervisor {
    const s = this.supervisor();
    if (s && !this.halted) return s;
    throw new DroverError('DROVER_E_RELOAD_REFUSED', `${this.name} is not running${this.lastError ? `: ${this.lastError.message}` : ''}`);
  }

  status(): MasterStatus {
    this.changes.read();
    const s = this.supervisor();
    const spec = this.spec();
    const agent = s?.agent();
    return {
      name: this.name,
      pid: process.pid,
      phase: this.halted ? 'stopped' : (s?.phase ?? 'starting'),
      desired: s?.desired ?? spec?.instances ?? 0,
      mode: spec?.mode ?? 'node',
      // Fork mode shares no port: `list` shows the mode instead of a strategy that is not used.
      balance: spec?.execMode === 'fork' ? 'fork' : (spec?.balance ?? 'round-robin'),
      script: spec?.script ?? String(this.record.options.script),
      args: spec?.args ?? [],
      cwd: spec?.cwd ?? String(this.record.options.cwd ?? ''),
      startedAt: this.startedAt,
      uptimeMs: Date.now() - this.startedAt,
      restarts: this.restarts,
      restartReasons: { ...this.restartReasons },
      reloads: this.reloads,
      reloading: this.reloading,
      addresses: s ? s.addresses().map(formatAddress) : [],
      workers: s ? s.workers().map((w) => ({ wid: w.wid, slot: w.slot, pid: w.pid, phase: w.phase, uptimeMs: w.uptimeMs, connections: w.connections, role: w.role })) : [],
      agent: agent && { pid: agent.pid, uptimeMs: agent.uptimeMs },
      logs: { out: this.log.outFile, err: this.log.errorFile, master: masterLog(this.paths) },
      logStats: (({ written, dropped, rotations }) => ({ written, dropped, rotations }))(this.log.stats()),
      lastError: this.lastError,
    };
  }

  private async reload(options: SuperviseOptions | undefined, ctx: RequestContext) {
    const s = this.needSupervisor();
    const events: Array<[LifecycleEvent['event'], (e: LifecycleEvent) => void]> = [
      ['reload-start', (e) => ctx.emit('reload-start', e)],
      ['fork', (e) => ctx.emit('fork', e)],
      ['ready', (e) => ctx.emit('worker-ready', e)],
      ['exit', (e) => ctx.emit('worker-exit', e)],
    ];
    for (const [event, fn] of events) s.on(event, fn);
    this.reloading = true;
    try {
      // Options are resolved here (zod loads on the first reload, not at start);
      // none given: the launch options again (env files, script and args re-read).
      const info = await s.reload(await resolveOptions(options ?? this.record.options));
      if (options) this.record = { ...this.record, options };
      this.reloads++;
      return info;
    } finally {
      this.reloading = false;
      for (const [event, fn] of events) s.off(event, fn);
    }
  }

  private handlers(): CommandHandlers<MasterCommands> {
    return {
      ping: () => ({ pid: process.pid, name: this.name }),
      info: () => ({ pid: process.pid, record: { ...this.record, spec: undefined }, status: this.status() }),
      status: () => this.status(),
      'wait-ready': async () => {
        // The check may still be loading the options schema (no spec in the record).
        await this.checked;
        if (this.run?.kind === 'refused') throw this.run.error;
        const s = this.supervisor();
        if (!s) throw new DroverError('DROVER_E_STOPPED', `${this.name} stopped before it was ready`);
        const info = await s.ready.catch(async (err: unknown) => {
          // The app's own words go with the error: `drover start` prints them (the log has them too).
          if (!isDroverError(err) || this.run?.kind !== 'supervising') throw err;
          const stderr = await this.run.output.recentErrors();
          throw stderr.length > 0 ? new DroverError(err.code, err.message, { ...err.details, stderr }) : err;
        });
        return { workers: info.workers, durationMs: info.durationMs, addresses: info.addresses.map(formatAddress) };
      },
      watch: (_args, ctx) => {
        if (this.halted) return this.halted;
        return new Promise<MasterOutcome>((resolve) => {
          this.watchers.add(resolve);
          const unwatch = this.changes.add(() => ctx.emit('changed'));
          ctx.signal.addEventListener('abort', () => {
            this.watchers.delete(resolve);
            unwatch();
          });
        });
      },
      reload: (args, ctx) => this.reload(args.options, ctx),
      scale: async (args) => {
        const n = Number(args.instances);
        const s = this.needSupervisor();
        // The same refusal as at start (issue 16): -i 1000 on 2 cores starves the machine.
        checkWorkerCount(n, args.force === true || this.record.options.force === true, 'scale to');
        const from = s.desired;
        const before = Math.max(-1, ...s.workers().map((w) => w.wid));
        s.scale(n);
        if (args.wait !== false) await waitForScale(s, n, before, this.name);
        return { from, to: n };
      },
      signal: (args) => {
        const signal = String(args.signal);
        const pids = this.needSupervisor()
          .workers()
          .map((w) => w.pid)
          .filter((p): p is number => p !== undefined);
        for (const pid of pids) {
          try {
            process.kill(pid, signal as NodeJS.Signals);
          } catch (err) {
            throw new DroverError('DROVER_E_INVALID_OPTION', `cannot send ${signal} to worker pid ${pid}: ${(err as Error).message}`);
          }
        }
        return { signal, pids };
      },
      state: (args, ctx) => {
        const s = this.supervisor();
        return stateCommand(s && !this.halted ? s.store : undefined, this.name, args, ctx);
      },
      stop: async (args) => {
        this.stopRequested = true;
        const s = this.supervisor();
        if (!s || this.halted) return this.halted ?? { exitCode: 0 };
        return s.stop({ force: args.force === true });
      },
    };
  }
}
