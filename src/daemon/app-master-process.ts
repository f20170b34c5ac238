// An app master (entry: app-master.ts) started by the daemon: the same Supervisor as `drover run`,
// in its own detached process, with its own control socket
// (DROVER_HOME/apps/<name>.sock) and its workers' output captured through
// pipes into the app's log files. It does not depend on the daemon: if the
// daemon dies, the app keeps serving and a new daemon adopts it by connecting
// to the socket.
//
// The launch record (LaunchRecord JSON) arrives on stdin; the environment of
// this process is the record's env (the caller of `drover start`) plus
// DROVER_HOME, so the workers inherit it exactly.
import { pino } from 'pino';
import type { LogOptions } from '../config/log-options.js';
import { resolveSpec, parseSize } from '../config/resolve.js';
import type { SuperviseOptions } from '../config/schema.js';
import type { AppSpec, LifecycleEvent, Outcome } from '../core/types.js';
import { DroverError, formatError, isDroverError } from '../errors.js';
import { createAppLog, type AppLog, type OutputLabel, type RotateOptions } from '../logs/index.js';
import { formatAddress, Supervisor } from '../supervise.js';
import { appSocket, droverPaths, masterLog } from './paths.js';
import { ControlClient, listenControl, removeSocket, type ControlServer, type RequestContext } from './protocol.js';
import type { LaunchRecord, MasterStatus } from './types.js';

const paths = droverPaths();

function readStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    process.stdin.on('data', (c: Buffer) => chunks.push(c));
    process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    process.stdin.on('error', reject);
  });
}

/** Log settings of the app: its log options, else DROVER_LOG_* from the environment of `drover start`, else the defaults. */
export function logSettings(
  logs: Readonly<LogOptions>,
  env: Readonly<Record<string, string | undefined>>,
): { outFile?: string; errorFile?: string; rotate: RotateOptions; json: boolean; dateFormat: string | undefined } {
  const on = (v: string | undefined) => v === '1' || v === 'true';
  const maxSize = logs.logMaxSize !== undefined ? parseSize(logs.logMaxSize) : env.DROVER_LOG_MAX_SIZE ? parseSize(env.DROVER_LOG_MAX_SIZE) : 10 * 1024 * 1024;
  const keep = logs.logKeep ?? (env.DROVER_LOG_KEEP !== undefined && /^\d+$/.test(env.DROVER_LOG_KEEP) ? Number(env.DROVER_LOG_KEEP) : 5);
  return {
    outFile: logs.outFile,
    errorFile: logs.errorFile,
    rotate: { maxSize: maxSize > 0 ? maxSize : undefined, daily: logs.logDaily ?? on(env.DROVER_LOG_DAILY), keep, gzip: logs.logGzip ?? on(env.DROVER_LOG_GZIP) },
    json: logs.logJson ?? on(env.DROVER_LOG_JSON),
    dateFormat: logs.logDateFormat ?? (env.DROVER_LOG_DATE_FORMAT || undefined),
  };
}

/**
 * Pipes deliver chunks that end anywhere. Lines are assembled per worker
 * process (wid), so the old and the new worker of a slot during a reload never
 * mix their halves of a line, and handed to the log labelled with the slot
 * (the worker id users know: DROVER_WORKER_ID), or 'agent' for the agent's lines.
 */
class WorkerOutput {
  private readonly held = new Map<string, Buffer>();
  private static readonly MAX_HELD = 64 * 1024;

  constructor(private readonly log: AppLog) {}

  write(wid: number, slot: OutputLabel, stream: 'out' | 'err', chunk: Buffer | null): void {
    const key = `${stream}:${wid}`;
    const held = this.held.get(key);
    if (chunk === null) {
      if (held) {
        this.held.delete(key);
        this.log.write(stream, slot, Buffer.concat([held, Buffer.from('\n')]));
      }
      return;
    }
    const buf = held ? Buffer.concat([held, chunk]) : chunk;
    const nl = buf.lastIndexOf(0x0a);
    if (nl === -1) {
      if (buf.length > WorkerOutput.MAX_HELD) {
        this.held.delete(key);
        this.log.write(stream, slot, Buffer.concat([buf, Buffer.from('\n')]));
      } else this.held.set(key, Buffer.from(buf));
      return;
    }
    this.log.write(stream, slot, buf.subarray(0, nl + 1));
    if (nl + 1 < buf.length) this.held.set(key, Buffer.from(buf.subarray(nl + 1)));
    else this.held.delete(key);
  }
}

/** A pino logger whose lines become `drover|<message>` lines in the app log. */
function appLogger(log: AppLog, level: string, name: string) {
  const destination = {
    write(line: string) {
      try {
        const record = JSON.parse(line) as { level?: number; msg?: string };
        log.writeLine((record.level ?? 30) >= 40 ? 'err' : 'out', 'drover', record.msg ?? line.trim());
      } catch {
        log.writeLine('out', 'drover', line.trim());
      }
    },
  };
  return pino({ level, base: { app: name }, messageKey: 'msg', timestamp: false }, destination);
}

let appName = '?';

/**
 * The master adopts the environment of the `drover start` call: the workers
 * inherit process.env. (A spare master was started with the daemon's.)
 */
function adoptEnv(env: Readonly<Record<string, string>>): void {
  const home = process.env.DROVER_HOME;
  for (const key of Object.keys(process.env)) if (!(key in env)) delete process.env[key];
  Object.assign(process.env, env);
  if (home !== undefined) process.env.DROVER_HOME = home;
}

async function main(): Promise<void> {
  // A spare master waits here, imports done, until the daemon hands it an app;
  // end-of-file without one (the daemon exited) ends it.
  const input = await readStdin();
  if (input.trim() === '') process.exit(0);
  const record = JSON.parse(input) as LaunchRecord;
  const name = record.name;
  appName = name;
  adoptEnv(record.env);
  process.title = `drover-master ${name}`;
  const socketPath = appSocket(paths, name);
  const settings = logSettings(record.logs ?? {}, process.env);
  const log = createAppLog({ dir: paths.logs, name, ...settings });
  const output = new WorkerOutput(log);
  const startedAt = Date.now();

  // One master per name: a live one answering on the socket wins.
  try {
    const other = await ControlClient.connect(socketPath, { timeoutMs: 1000 });
    other.destroy();
    throw new DroverError('DROVER_E_APP_EXISTS', `an app master for ${name} is already running: use drover reload/restart ${name}`);
  } catch (err) {
    if (isDroverError(err)) throw err;
    removeSocket(socketPath);
  }

  let spec: AppSpec | undefined;
  let supervisor: Supervisor | undefined;
  let startError: DroverError | undefined;
  let stopRequested = false;
  let restarts = 0;
  let reloads = 0;
  let reloading = false;
  let lastError: { code: DroverError['code']; message: string } | undefined;
  const watchers = new Set<(outcome: Outcome & { stopRequested: boolean }) => void>();
  let halted: (Outcome & { stopRequested: boolean }) | undefined;

  const status = (): MasterStatus => {
    const s = supervisor;
    const agent = s?.agent();
    return {
      name,
      pid: process.pid,
      phase: halted ? 'stopped' : (s?.phase ?? 'starting'),
      desired: s?.desired ?? spec?.instances ?? 0,
      mode: spec?.mode ?? 'node',
      // Fork mode shares no port: `list` shows the mode instead of a strategy that is not used.
      balance: spec?.execMode === 'fork' ? 'fork' : (spec?.balance ?? 'round-robin'),
      script: spec?.script ?? String(record.options.script),
      args: spec?.args ?? [],
      cwd: spec?.cwd ?? String(record.options.cwd ?? ''),
      startedAt,
      uptimeMs: Date.now() - startedAt,
      restarts,
      reloads,
      reloading,
      addresses: s ? s.addresses().map(formatAddress) : [],
      workers: s ? s.workers().map((w) => ({ wid: w.wid, slot: w.slot, pid: w.pid, phase: w.phase, uptimeMs: w.uptimeMs, connections: w.connections, role: w.role })) : [],
      agent: agent && { pid: agent.pid, uptimeMs: agent.uptimeMs },
      logs: { out: log.outFile, err: log.errorFile, master: masterLog(paths) },
      logStats: (({ written, dropped, rotations }) => ({ written, dropped, rotations }))(log.stats()),
      lastError,
    };
  };

  const needSupervisor = (): Supervisor => {
    if (supervisor && !halted) return supervisor;
    throw new DroverError('DROVER_E_RELOAD_REFUSED', `${name} is not running${lastError ? `: ${lastError.message}` : ''}`);
  };

  const reload = async (args: Record<string, unknown>, ctx: RequestContext) => {
    const s = needSupervisor();
    const events: Array<[LifecycleEvent['event'], (e: LifecycleEvent) => void]> = [
      ['reload-start', (e) => ctx.emit('reload-start', e)],
      ['fork', (e) => ctx.emit('fork', e)],
      ['ready', (e) => ctx.emit('worker-ready', e)],
      ['exit', (e) => ctx.emit('worker-exit', e)],
    ];
    for (const [event, fn] of events) s.on(event, fn);
    reloading = true;
    try {
      const info = await s.reload(args.options as SuperviseOptions | undefined);
      reloads++;
      return info;
    } finally {
      reloading = false;
      for (const [event, fn] of events) s.off(event, fn);
    }
  };

  const handler = async (command: string, args: Record<string, unknown>, ctx: RequestContext): Promise<unknown> => {
    switch (command) {
      case 'ping':
        return { pid: process.pid, name };
      case 'info':
        return { pid: process.pid, record, status: status() };
      case 'status':
        return status();
      case 'wait-ready': {
        if (startError) throw startError;
        const s = supervisor;
        if (!s) throw new DroverError('DROVER_E_STOPPED', `${name} stopped before it was ready`);
        const info = await s.ready;
        return { workers: info.workers, durationMs: info.durationMs, addresses: info.addresses.map(formatAddress) };
      }
      case 'watch':
        // Answers when the supervisor halts; a connection that closes without
        // this answer means the master died.
        if (halted) return halted;
        return new Promise((resolve) => {
          watchers.add(resolve);
          ctx.signal.addEventListener('abort', () => watchers.delete(resolve));
        });
      case 'reload':
        return reload(args, ctx);
      case 'scale': {
        const n = Number(args.instances);
        needSupervisor().scale(n);
        return { from: supervisor!.desired, to: n };
      }
      case 'signal': {
        const signal = String(args.signal);
        const s = needSupervisor();
        const pids = s.workers().map((w) => w.pid).filter((p): p is number => p !== undefined);
        for (const pid of pids) {
          try {
            process.kill(pid, signal as NodeJS.Signals);
          } catch (err) {
            throw new DroverError('DROVER_E_INVALID_OPTION', `cannot send ${signal} to worker pid ${pid}: ${(err as Error).message}`);
          }
        }
        return { signal, pids };
      }
      case 'stop': {
        stopRequested = true;
        if (!supervisor || halted) return halted ?? { exitCode: 0 };
        const outcome = await supervisor.stop({ force: args.force === true });
        return outcome;
      }
      default:
        throw new DroverError('DROVER_E_PROTOCOL', `unknown app master command "${command}"`);
    }
  };

  const server: ControlServer = await listenControl(socketPath, handler);

  const shutdown = async (outcome: Outcome): Promise<never> => {
    halted = { ...outcome, stopRequested };
    for (const w of watchers) w(halted);
    watchers.clear();
    // Replies already written go out before the connections end; the socket
    // file goes first, so a successor may bind the same path at once.
    await log.close().catch(() => {});
    removeSocket(socketPath);
    await server.close();
    process.exit(outcome.exitCode);
  };

  try {
    spec = resolveSpec(record.options, 'options');
    if (spec.name !== name) throw new DroverError('DROVER_E_INVALID_OPTION', `the app name ${spec.name} does not match its launch record (${name})`);
  } catch (err) {
    startError = isDroverError(err) ? err : new DroverError('DROVER_E_INTERNAL', (err as Error).message);
    lastError = { code: startError.code, message: startError.message };
    log.writeLine('err', 'drover', formatError(startError));
    // Let the daemon's wait-ready see the error before this process goes.
    setTimeout(() => void shutdown({ exitCode: startError!.exitCode, error: lastError }), 1000).unref();
    return;
  }

  const logger = appLogger(log, spec.logLevel, name);
  supervisor = new Supervisor(spec, { source: record.options, logger, output: (w, stream, chunk) => output.write(w.wid, w.slot, stream, chunk) });
  supervisor.on('restart', () => restarts++);
  supervisor.on('start-failed', (e: { code: DroverError['code']; message: string }) => (lastError = { code: e.code, message: e.message }));
  supervisor.on('giveup', (e: { restarts: number }) => (lastError = { code: 'DROVER_E_GIVEUP', message: `workers crashed ${e.restarts} times within the restart window; gave up` }));

  let stops = 0;
  const onStop = (force: boolean) => {
    stopRequested = true;
    stops++;
    void supervisor!.stop({ force: force || stops > 1 });
  };
  process.on('SIGTERM', () => onStop(false));
  process.on('SIGINT', () => onStop(false));
  process.on('SIGQUIT', () => onStop(true));
  process.on('SIGHUP', () => supervisor!.requestReload('SIGHUP'));

  supervisor.start();
  const outcome = await supervisor.done;
  if (outcome.error) lastError = outcome.error;
  await shutdown(outcome);
}

main().catch((err) => {
  process.stderr.write(`${new Date().toISOString()} [${appName}] ${formatError(err)}\n`);
  process.exit(isDroverError(err) ? err.exitCode : 1);
});
