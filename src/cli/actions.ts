// What the daemon commands of the CLI do: `drover start`, `list`, `logs`, ...
// Each returns the exit status; only the entry point exits. Loaded lazily by
// main.ts, and it loads heavy modules (config loader, zod) only for the
// commands that need them, so `drover list` and `drover start app.js` stay fast.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import type { SuperviseOptions } from '../config/schema.js';
import type { LogOptions } from '../config/log-options.js';
import { LOG_OPTION_TABLE } from './option-table.js';
import { DroverError, exitCodeOf, formatError } from '../errors.js';
import type { ControlClient } from '../control/client.js';
import type { DaemonCommands, Settled } from '../control/commands.js';
import { checkAppName, droverPaths } from '../control/paths.js';
import { defaultAppName, isConfigFileName } from '../config/names.js';
import { resolveScriptPath } from '../config/command.js';
import type { AppState, LaunchRecord, StartResult } from '../control/records.js';
import { fromWireError } from '../control/wire.js';
import { connectDaemon, takePrespawnedMaster } from './daemon-client.js';
import { resolvedOrNone } from './spec-hint.js';
import { workerCount } from '../core/wording.js';
import { trace } from '../control/trace.js';
import { formatBytes, formatDuration, paint, printJson, statusColor, table, useColor } from './output.js';

export interface CommonOptions {
  readonly json?: boolean;
}

const out = (line = '') => process.stdout.write(`${line}\n`);
const err = (line: string) => process.stderr.write(`${line}\n`);

async function withDaemon<T>(fn: (client: ControlClient<DaemonCommands>) => Promise<T>, start = true): Promise<T> {
  const client = (await connectDaemon({ start }))!;
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}

/** Reports failed entries on stderr; the exit status of the first failure (0 if none). */
function reportFailures(results: ReadonlyArray<Settled<unknown>>): number {
  let code = 0;
  for (const r of results) {
    if (r.ok || !r.error) continue;
    const e = fromWireError(r.error);
    // A failed start carries the app's last stderr lines: they go first, so "see its output above" holds.
    const stderr = e.details.stderr;
    if (Array.isArray(stderr) && stderr.length > 0) {
      err(`${r.name}: the last lines of its stderr:`);
      for (const line of stderr) err(`  ${String(line)}`);
    }
    err(formatError(new DroverError(e.code, `${r.name}: ${e.message}`, e.details)));
    if (code === 0) code = exitCodeOf(e);
  }
  return code;
}

function callerEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  return env;
}

// ── targets ────────────────────────────────────────────────────────────────

async function looksLikeConfig(target: string): Promise<boolean> {
  if (!existsSync(target)) return false;
  try {
    if (!statSync(target).isFile()) return false;
  } catch {
    return false;
  }
  return isConfigFileName(target);
}


/** App names from a config file (the same names `drover start <config>` gives). */
async function namesFromConfig(file: string, envName?: string): Promise<string[]> {
  const { loadConfigFile } = await import('../config/load.js');
  const loaded = await loadConfigFile(file, { env: envName });
  return loaded.apps.map((a) => a.name ?? defaultAppName(a.script));
}

/** `all`, app names, or config files → 'all' or names. */
async function resolveTargets(targets: readonly string[]): Promise<'all' | string[]> {
  if (targets.length === 0) throw new DroverError('DROVER_E_USAGE', 'name an app, several apps, a config file or all');
  if (targets.includes('all')) return 'all';
  const names: string[] = [];
  for (const t of targets) {
    if (await looksLikeConfig(t)) names.push(...(await namesFromConfig(t)));
    else names.push(t);
  }
  return [...new Set(names)];
}

export interface ApplyFlags extends CommonOptions {
  readonly env?: string;
  readonly only?: string;
}

/**
 * reload/restart targets: config files are re-read (with --env, filtered by
 * --only) into launch records whose options replace the saved ones; other
 * targets stay names ('all', or apps).
 */
async function targetsWithRecords(targets: readonly string[], flags: ApplyFlags): Promise<{ target: 'all' | string[]; records: LaunchRecord[]; warnings: string[] }> {
  if (targets.length === 0) throw new DroverError('DROVER_E_USAGE', 'name an app, several apps, a config file or all');
  const only = flags.only === undefined ? undefined : new Set(flags.only.split(',').map((n) => n.trim()).filter((n) => n !== ''));
  const names: string[] = [];
  const records: LaunchRecord[] = [];
  const warnings: string[] = [];
  const inFiles: string[] = [];
  for (const t of targets) {
    if (!(await looksLikeConfig(t))) {
      names.push(t);
      continue;
    }
    const read = await recordsFromConfig(t, { envName: flags.env }, {}, {});
    warnings.push(...read.warnings);
    inFiles.push(...read.records.map((r) => r.name));
    records.push(...read.records.filter((r) => only === undefined || only.has(r.name)));
  }
  if (inFiles.length === 0 && (flags.env !== undefined || only !== undefined)) {
    throw new DroverError('DROVER_E_USAGE', `--env and --only re-read a config file: name one, e.g. drover reload ecosystem.config.js --env production --only api`);
  }
  const missing = [...(only ?? [])].filter((n) => !inFiles.includes(n));
  if (missing.length > 0) {
    throw new DroverError('DROVER_E_USAGE', `--only ${missing.join(',')}: no such app in the config file (its apps: ${inFiles.join(', ')})`);
  }
  return { target: names.includes('all') ? 'all' : [...new Set(names)], records, warnings };
}

// ── start ──────────────────────────────────────────────────────────────────

export interface StartFlags extends Record<string, unknown> {
  readonly envName?: string;
  readonly json?: boolean;
}

/** A cheap check before the daemon is involved (the master validates everything again). */
function checkScriptExists(script: string): void {
  let st;
  try {
    st = statSync(script);
  } catch {
    throw new DroverError('DROVER_E_SCRIPT_NOT_FOUND', `script ${script} does not exist: check the path (relative paths are resolved against cwd)`, { script });
  }
  if (st.isDirectory()) {
    throw new DroverError('DROVER_E_SCRIPT_IS_DIRECTORY', `script ${script} is a directory: name the file to run, e.g. ${path.join(script, 'index.js')}`, { script });
  }
}

/** Splits an app's options into supervise() options and log options (the table's keys are the log option names). */
function splitLogOptions(app: Record<string, unknown>): { options: SuperviseOptions; logs: LogOptions } {
  const options: Record<string, unknown> = {};
  const logs: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(app)) {
    if (Object.hasOwn(LOG_OPTION_TABLE, key)) {
      if (value !== undefined) logs[key] = value;
    } else options[key] = value;
  }
  return { options: options as SuperviseOptions, logs: logs as LogOptions };
}

async function recordsFromConfig(file: string, flags: StartFlags, overrides: Partial<SuperviseOptions>, overrideLogs: LogOptions): Promise<{ records: LaunchRecord[]; warnings: string[] }> {
  const [{ loadConfigFile }, { resolveSpec }] = await Promise.all([import('../config/load.js'), import('../config/resolve.js')]);
  const env = callerEnv();
  const loaded = await loadConfigFile(file, { env: flags.envName, callerEnv: process.env });
  const records: LaunchRecord[] = [];
  for (const [index, entry] of loaded.apps.entries()) {
    const { options: app, logs } = splitLogOptions(entry);
    const options: SuperviseOptions = { ...app, ...overrides, env: { ...(app.env ?? {}), ...(overrides.env ?? {}) } };
    // Everything is validated before anything starts (script exists, values possible).
    const spec = resolveSpec(options, `${loaded.file} apps[${index}]`);
    checkAppName(spec.name);
    records.push({
      name: spec.name,
      spec,
      options: { ...options, name: spec.name, cwd: spec.cwd },
      logs: { ...logs, ...overrideLogs },
      env,
      source: { kind: 'config', file: loaded.file, envName: flags.envName, format: loaded.format },
      createdAt: Date.now(),
    });
  }
  return { records, warnings: loaded.warnings };
}

/** The state of the app of this name a running daemon knows (a daemon is not started for this). */
async function knownApp(name: string): Promise<AppState | undefined> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) return undefined;
  const client = await connectDaemon({ start: false }).catch(() => undefined);
  if (!client) return undefined;
  try {
    const apps = await client.call('list', {}, { timeoutMs: 15_000 });
    return apps.find((a) => a.name === name)?.status;
  } finally {
    client.close();
  }
}

/** States in which `drover start <name>` leaves the app alone: it runs or is on its way. */
const RUNNING: ReadonlySet<AppState> = new Set(['online', 'starting', 'launching', 'restarting']);

export async function startCommand(target: string, appArgs: string[], flags: StartFlags): Promise<number> {
  trace('cli: start action');
  const { envName, json, envPairs, ...rest } = flags as StartFlags & { envPairs?: Record<string, string> };
  const split = splitLogOptions(rest);
  const overrides = { ...split.options } as Record<string, unknown>;
  if (envPairs) overrides.env = envPairs;
  let records: LaunchRecord[];
  let warnings: string[] = [];
  let known: AppState | undefined;
  if (await looksLikeConfig(target)) {
    if (overrides.name !== undefined) throw new DroverError('DROVER_E_USAGE', '--name names one app: set names in the config file instead');
    ({ records, warnings } = await recordsFromConfig(target, { envName, json }, overrides as Partial<SuperviseOptions>, split.logs));
  } else if (!existsSync(path.resolve(String(overrides.cwd ?? process.cwd()), target)) && (known = await knownApp(target)) !== undefined) {
    // `drover start <name>` of a stopped app starts it again, as PM2 does; a running one is left alone.
    if (!RUNNING.has(known)) return restartCommand([target], { json });
    if (json) printJson({ name: target, status: known, started: false });
    else out(`${target}: already running (${known}): drover reload ${target} to replace its workers, drover restart ${target} for a new master`);
    return 0;
  } else {
    if (envName !== undefined) {
      throw new DroverError('DROVER_E_USAGE', `--env ${envName}: a name selects env_${envName} of a config file; for a script, set variables with --env KEY=VALUE`);
    }
    const cwd = path.resolve(String(overrides.cwd ?? process.cwd()));
    // `drover start npm -- start`: a command on the caller's PATH, passed on as its absolute path.
    const script = resolveScriptPath(cwd, target);
    checkScriptExists(script);
    const name = String(overrides.name ?? defaultAppName(target));
    checkAppName(name);
    const options = { ...overrides, script, name, cwd, args: [...((overrides.args as string[] | undefined) ?? []), ...appArgs] } as SuperviseOptions;
    records = [{ name, options, spec: await resolvedOrNone(options), logs: split.logs, env: callerEnv(), source: { kind: 'script' }, createdAt: Date.now() }];
  }
  trace('cli: records ready');
  for (const w of warnings) err(`drover: warning: ${w}`);
  // A cold start: the master booted in parallel with the daemon; it gets its record once the daemon accepted the start.
  const pre = records.length === 1 ? takePrespawnedMaster() : undefined;
  let results: Array<Settled<StartResult>>;
  try {
    results = await withDaemon((c) => {
      trace('cli: connected, start sent');
      return c.call(
        'start',
        { records, prespawned: pre?.pid !== undefined ? { [records[0]!.name]: pre.pid } : undefined },
        {
          onEvent: (event) => {
            if (event !== 'accepted') return;
            trace('cli: accepted');
            pre?.provide(records[0]);
          },
        },
      );
    });
    trace('cli: start replied');
  } finally {
    pre?.provide(undefined);
    takePrespawnedMaster()?.provide(undefined);
  }
  if (json) printJson(results);
  else {
    const color = useColor();
    for (const r of results) {
      if (!r.ok || !r.data) continue;
      const d = r.data;
      const where = d.addresses.length > 0 ? `, listening on ${d.addresses.join(', ')}` : '';
      out(`${paint(r.name, 'bold', color)}: ${workerCount(d.workers)} ready in ${Math.round(d.durationMs)} ms${where} (master pid ${d.masterPid})`);
    }
  }
  reportPartialStart(results);
  return reportFailures(results);
}

/** Several apps start independently: one that fails is removed, the others keep running (docs/apps.md). */
function reportPartialStart(results: ReadonlyArray<Settled<unknown>>): void {
  const failed = results.filter((r) => !r.ok).map((r) => r.name);
  if (failed.length === 0 || failed.length === results.length) return;
  err(`drover: ${failed.length} of ${results.length} apps failed to start (${failed.join(', ')}); the others keep running: see drover list`);
}

// ── stop / restart / delete / reload / scale / signal ──────────────────────

export async function stopCommand(command: 'stop' | 'delete', targets: string[], options: CommonOptions & { force?: boolean }): Promise<number> {
  const target = await resolveTargets(targets);
  const results = await withDaemon((c) => c.call(command, { target, force: options.force === true }));
  if (options.json) printJson(results);
  else if (results.length === 0) out('no apps');
  else for (const r of results) out(`${r.name}: ${command === 'delete' ? 'deleted' : 'stopped'}`);
  return 0;
}

export async function restartCommand(targets: string[], options: ApplyFlags): Promise<number> {
  const { target, records, warnings } = await targetsWithRecords(targets, options);
  for (const w of warnings) err(`drover: warning: ${w}`);
  const results = await withDaemon((c) => c.call('restart', { target, records }));
  if (options.json) printJson(results);
  else for (const r of results) if (r.ok && r.data) out(`${r.name}: restarted, ${workerCount(r.data.workers)} ready in ${Math.round(r.data.durationMs)} ms (master pid ${r.data.masterPid})`);
  return reportFailures(results);
}

interface ReloadEvent {
  readonly app: string;
  readonly slot?: number;
  readonly pid?: number;
  readonly workers?: number;
  readonly reason?: string;
  readonly code?: number | null;
  readonly signal?: string | null;
}

export async function reloadCommand(targets: string[], options: ApplyFlags): Promise<number> {
  const { target, records, warnings } = await targetsWithRecords(targets, options);
  for (const w of warnings) err(`drover: warning: ${w}`);
  const color = useColor();
  const started = new Map<string, number>();
  const onEvent = (event: string, e: ReloadEvent) => {
    if (options.json) {
      process.stdout.write(`${JSON.stringify({ event, ...e })}\n`);
      return;
    }
    const app = paint(e.app, 'bold', color);
    switch (event) {
      case 'reload-start':
        started.set(e.app, Date.now());
        return out(`${app}: reloading ${workerCount(e.workers ?? 0)}`);
      case 'worker-ready':
        return out(`${app}: worker ${e.slot} ${paint('ready', 'green', color)} (new pid ${e.pid})`);
      case 'worker-exit': {
        const replaced = e.reason === 'stopped' || e.reason === 'replaced';
        const how = replaced ? 'stopped' : paint(`${e.reason}${e.signal ? ` by ${e.signal}` : e.code !== undefined && e.code !== null ? ` with code ${e.code}` : ''}`, 'red', color);
        return out(`${app}: worker ${e.slot} pid ${e.pid} ${how}`);
      }
      default:
        return;
    }
  };
  const results = await withDaemon((c) =>
    c.call('reload', { target, records }, { onEvent: (ev, data) => onEvent(ev, data as ReloadEvent) }),
  );
  if (options.json) printJson(results);
  else {
    for (const r of results) {
      if (!r.ok || !r.data) continue;
      const d = r.data;
      const how = d.applied === 'restarted' ? `restarted instead of reloaded (${d.reason ?? 'a reload cannot make this change'}):` : d.applied === 'started' ? 'was not running, started:' : 'reloaded';
      out(`${paint(r.name, 'bold', color)}: ${paint(how, d.applied === 'restarted' ? 'yellow' : 'green', color)} ${workerCount(d.workers)} in ${Math.round(d.durationMs)} ms`);
    }
  }
  return reportFailures(results);
}

export interface ScaleFlags extends CommonOptions {
  readonly force?: boolean;
  /** false with --no-wait. */
  readonly wait?: boolean;
}

export async function scaleCommand(app: string, count: string, options: ScaleFlags): Promise<number> {
  if (!/^\d+$/.test(count)) throw new DroverError('DROVER_E_INVALID_OPTION', `scale expects a worker count (a whole number >= 0), got ${JSON.stringify(count)}`);
  const wait = options.wait !== false;
  const result = await withDaemon((c) => c.call('scale', { name: app, instances: Number(count), force: options.force === true, wait }));
  if (options.json) printJson({ name: app, ...result });
  else out(wait ? `${app}: ${workerCount(Number(count))} ready` : `${app}: scaling to ${workerCount(Number(count))}`);
  return 0;
}

function normalizeSignal(raw: string): NodeJS.Signals {
  const upper = raw.toUpperCase();
  const name = /^\d+$/.test(upper)
    ? Object.entries(osConstants.signals).find(([, n]) => n === Number(upper))?.[0]
    : upper.startsWith('SIG')
      ? upper
      : `SIG${upper}`;
  if (!name || !(name in osConstants.signals)) throw new DroverError('DROVER_E_INVALID_OPTION', `unknown signal ${JSON.stringify(raw)}: use a name such as SIGUSR2 or SIGTERM`);
  return name as NodeJS.Signals;
}

export async function signalCommand(sig: string, targets: string[], options: CommonOptions): Promise<number> {
  const signal = normalizeSignal(sig);
  const target = await resolveTargets(targets);
  const results = await withDaemon((c) => c.call('signal', { target, signal }));
  if (options.json) printJson(results);
  else for (const r of results) out(`${r.name}: ${signal} sent to ${r.pids.length} worker${r.pids.length === 1 ? '' : 's'} (pids ${r.pids.join(', ')})`);
  return 0;
}

// ── list / describe ────────────────────────────────────────────────────────

export { listCommand } from './list-command.js';

export async function describeCommand(app: string, options: CommonOptions): Promise<number> {
  const d = await withDaemon((c) => c.call('describe', { name: app }, { timeoutMs: 15_000 }));
  if (options.json) {
    printJson(d);
    return 0;
  }
  const color = useColor();
  const kv = (k: string, v: string) => out(`  ${k.padEnd(11)}${v}`);
  out(`${paint(d.name, 'bold', color)}  ${paint(d.status, statusColor(d.status), color)}`);
  kv('script', d.script);
  if (d.args.length) kv('args', d.args.join(' '));
  kv('cwd', d.cwd);
  kv('mode', `${d.mode}, ${d.ready}/${d.desired} workers ready`);
  kv('master', d.master.pid ? `pid ${d.master.pid}${d.master.memory ? `, ${formatBytes(d.master.memory)}` : ''}` : '-');
  if (d.agent) kv('agent', `pid ${d.agent.pid ?? '-'}, up ${formatDuration(d.agent.uptimeMs)}${d.agent.memory ? `, ${formatBytes(d.agent.memory)}` : ''}`);
  kv('uptime', d.status === 'online' ? formatDuration(d.uptimeMs) : '-');
  const reasons = Object.entries(d.restartReasons ?? {}).map(([reason, n]) => `${n} ${reason}`);
  kv('restarts', `${d.restarts} worker${reasons.length ? ` (${reasons.join(', ')})` : ''}${d.masterRestarts ? `, ${d.masterRestarts} master` : ''}`);
  kv('cpu/memory', `${d.cpu.toFixed(1)}% / ${formatBytes(d.memory)}`);
  if (d.addresses.length) kv('listening', d.addresses.join(', '));
  kv('source', d.source.kind === 'config' ? `${d.source.file}${d.source.envName ? ` (env ${d.source.envName})` : ''}` : 'command line');
  kv('created', new Date(d.createdAt).toISOString());
  if (d.logs) {
    kv('out log', d.logs.out);
    kv('error log', d.logs.err);
  }
  const env = Object.entries(d.env);
  if (env.length) kv('env', env.map(([k, v]) => `${k}=${v}`).join(' '));
  if (d.lastError) kv('last error', `${d.lastError.message} [${d.lastError.code}]`);
  if (d.workers.length) {
    out('  workers');
    const rows = d.workers.map((w) => [String(w.slot), String(w.pid ?? '-'), w.phase + (w.role === 'spare' ? ' (spare)' : ''), formatDuration(w.uptimeMs), String(w.connections), `${(w.cpu ?? 0).toFixed(1)}%`, formatBytes(w.memory ?? 0)]);
    out(
      table(['    slot', 'pid', 'phase', 'uptime', 'conns', 'cpu', 'memory'], rows.map((r) => [`    ${r[0]}`, ...r.slice(1)]), new Set([1, 3, 4, 5, 6])),
    );
  }
  return 0;
}

// ── logs ───────────────────────────────────────────────────────────────────

interface LogsOptions extends CommonOptions {
  readonly lines?: string;
  readonly follow?: boolean;
  readonly err?: boolean;
  readonly out?: boolean;
}

/** Apps with log files in DROVER_HOME/logs (for `drover logs` without an app). */
function appsWithLogs(dir: string): string[] {
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch {
    return [];
  }
  const names = new Set<string>();
  for (const f of files) {
    const m = /^(.+)-(out|error)\.log$/.exec(f);
    if (m && !m[1]!.includes('__')) names.add(m[1]!);
  }
  return [...names].sort();
}

/** Each app's log files: the daemon knows them (outFile/errorFile); without it, the default names. */
async function logFilesOf(apps: readonly string[], dir: string): Promise<Map<string, { out: string; err: string }>> {
  const files = new Map(apps.map((name) => [name, { out: path.join(dir, `${name}-out.log`), err: path.join(dir, `${name}-error.log`) }]));
  const client = await connectDaemon({ start: false }).catch(() => undefined);
  if (!client) return files;
  try {
    for (const name of apps) {
      const d = await client.call('describe', { name }, { timeoutMs: 15_000 }).catch(() => undefined);
      if (d?.logs) files.set(name, { out: d.logs.out, err: d.logs.err });
    }
  } finally {
    client.close();
  }
  return files;
}

export async function logsCommand(app: string | undefined, options: LogsOptions): Promise<number> {
  const { tailLines, follow } = await import('../logs/tail.js');
  const paths = droverPaths();
  const n = options.lines === undefined ? 15 : Number(options.lines);
  if (!Number.isInteger(n) || n < 0) throw new DroverError('DROVER_E_INVALID_OPTION', `--lines expects a whole number >= 0, got ${JSON.stringify(options.lines)}`);
  let apps: string[];
  if (app === undefined || app === 'all') apps = appsWithLogs(paths.logs);
  else {
    apps = [app];
    const file = path.join(paths.logs, `${app}-out.log`);
    if (!existsSync(file) && !existsSync(path.join(paths.logs, `${app}-error.log`))) {
      // No files yet: fine for an app the daemon knows (it has not logged), an error otherwise.
      const client = await connectDaemon({ start: false }).catch(() => undefined);
      const known = client ? await client.call('list').catch(() => []) : [];
      client?.close();
      if (!known.some((a) => a.name === app)) {
        const { didYouMean } = await import('../config/suggest.js');
        const guess = didYouMean(app, [...known.map((a) => a.name), ...appsWithLogs(paths.logs)]);
        throw new DroverError('DROVER_E_APP_NOT_FOUND', `no app named ${JSON.stringify(app)} and no logs for it${guess ? ` (did you mean "${guess}"?)` : ''}: see drover list`, { names: [app] });
      }
    }
  }
  const wanted = (options.err ? ['err'] : options.out ? ['out'] : ['out', 'err']) as Array<'out' | 'err'>;
  const files = await logFilesOf(apps, paths.logs);
  const fileOf = (name: string, stream: 'out' | 'err') => files.get(name)![stream];
  // outFile = errorFile merges both streams into one file: read it once.
  const streamsOf = (name: string) => (files.get(name)!.out === files.get(name)!.err ? wanted.slice(0, 1) : wanted);
  const color = useColor();
  const prefix = apps.length > 1 || app === undefined;
  // A slow reader (a stalled pipe) makes follow() wait instead of buffering here.
  const write = (text: string): void | Promise<void> => {
    if (process.stdout.write(text)) return;
    return new Promise((resolve) => {
      process.stdout.once('drain', resolve);
      process.stdout.once('error', resolve);
    });
  };
  const print = (name: string, stream: 'out' | 'err', line: string): void | Promise<void> => {
    if (options.json) {
      let record: unknown;
      if (line.startsWith('{')) {
        try {
          record = JSON.parse(line);
        } catch {}
      }
      return write(`${JSON.stringify(record !== undefined ? { app: name, stream, record } : { app: name, stream, line })}\n`);
    }
    const text = stream === 'err' ? paint(line, 'red', color) : line;
    return write(`${prefix ? `${paint(name, 'blue', color)} ` : ''}${text}\n`);
  };

  if (!options.follow) {
    for (const name of apps) {
      const lines: Array<{ stream: 'out' | 'err'; line: string }> = [];
      for (const stream of streamsOf(name)) for (const line of await tailLines(fileOf(name, stream), n)) lines.push({ stream, line });
      // Both files start their lines with the time: merge them in order.
      const ordered = lines
        .map((l, i) => ({ ...l, i, t: /^\S+/.exec(l.line)?.[0] ?? '' }))
        .sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : a.i - b.i))
        .slice(-n);
      for (const l of ordered) await print(name, l.stream, l.line);
    }
    return 0;
  }

  const followers = apps.flatMap((name) => streamsOf(name).map((stream) => follow(fileOf(name, stream), (line) => print(name, stream, line), { lines: n })));
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    // A closed pipe (drover logs -f | head) ends the command too.
    process.stdout.once('error', stop);
  });
  await Promise.all(followers.map((f) => f.close()));
  return 0;
}

// ── save / resurrect / ping / kill ─────────────────────────────────────────

export async function saveCommand(options: CommonOptions): Promise<number> {
  const r = await withDaemon((c) => c.call('save'));
  if (options.json) printJson(r);
  else {
    out(`saved ${r.apps.length} app${r.apps.length === 1 ? '' : 's'} to ${r.file}${r.apps.length ? `: ${r.apps.join(', ')}` : ''}`);
    if (r.secretsLeftOut.length) out(`secret env values not saved (taken from the environment of drover resurrect): ${r.secretsLeftOut.join(', ')}`);
  }
  return 0;
}

export async function resurrectCommand(options: CommonOptions): Promise<number> {
  const r = await withDaemon((c) =>
    c.call('resurrect', { env: callerEnv() }),
  );
  for (const w of r.warnings) err(`drover: warning: ${w}`);
  if (options.json) printJson(r);
  else {
    for (const x of r.results) if (x.ok && x.data) out(`${x.name}: ${workerCount(x.data.workers)} ready in ${Math.round(x.data.durationMs)} ms`);
    for (const s of r.skipped) out(`${s}: already running`);
    if (r.results.length === 0 && r.skipped.length === 0) out('the saved app list is empty');
  }
  return reportFailures(r.results);
}

export async function pingCommand(options: CommonOptions): Promise<number> {
  const r = await withDaemon((c) => c.call('ping', {}, { timeoutMs: 10_000 }));
  if (options.json) printJson(r);
  else out(`pong: daemon pid ${r.pid}, drover ${r.version}, up ${formatDuration(r.uptimeMs)}, ${r.apps} app${r.apps === 1 ? '' : 's'}, home ${r.home}`);
  return 0;
}

export async function killCommand(options: CommonOptions): Promise<number> {
  // App masters may run without a daemon (it was killed): start one to adopt and stop them.
  const paths = droverPaths();
  const orphans = (() => {
    try {
      return readdirSync(paths.apps).some((f) => f.endsWith('.sock'));
    } catch {
      return false;
    }
  })();
  const client = await connectDaemon({ start: orphans });
  if (!client) {
    if (options.json) printJson({ running: false });
    else out('no daemon running');
    return 0;
  }
  try {
    const r = await client.call('kill');
    // The daemon exits right after answering: wait for that, so a following command starts a new one.
    await new Promise<void>((resolve) => (client.isClosed ? resolve() : client.once('close', resolve)));
    if (options.json) printJson(r);
    else out(`stopped ${r.stopped.length} app${r.stopped.length === 1 ? '' : 's'}; daemon pid ${r.pid} exited`);
  } finally {
    client.close();
  }
  return 0;
}
