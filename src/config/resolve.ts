// Options → AppSpec: validation (schema), defaults, and the checks that need
// the file system (does the script exist, is it runnable). Everything here
// runs before anything is started, so bad input never leaves a process behind.
import { isKernelMode, STRATEGY_ALIASES, type Balance } from '../core/enums.js';
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { DroverError } from '../errors.js';
import { nodeHasSince, REUSEPORT_SINCE } from '../platform/node-version.cjs';
import type { AgentSpec, AppSpec } from '../core/types.js';
import { resolveState } from './state-options.js';
import { superviseOptionsSchema, type ParsedOptions, type SuperviseOptions } from './schema.js';
import { didYouMean } from './suggest.js';
import { validateCron } from './cron.js';
import { describeIssue } from './issues.js';
import { defaultAppName } from './names.js';
import { parseSize } from './size.js';
// platform hook (issue 14): 'max' and negative counts honour the cgroup CPU quota.
import { checkWorkerCount, resolveInstances } from './worker-count.js';
export { checkWorkerCount, MAX_WORKERS_PER_CORE, resolveInstances } from './worker-count.js';
import { resolveRunner } from './typescript.js';
import { resolveScriptPath } from './command.js';

const NODE_EXTENSIONS = new Set(['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts', '.jsx', '.tsx']);

export function parseOptions(input: unknown, source = 'options'): ParsedOptions {
  const result = superviseOptionsSchema.safeParse(input);
  if (result.success) return result.data;
  throw zodToDroverError(result.error, source);
}

/** The command line names options by their flags (instances → --instances), files and the API by key path. */
function optionLabel(source: string, path: readonly PropertyKey[]): string {
  if (path.length === 0) return source;
  if (source === 'command line') return `--${String(path[0]).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  return `${source}.${path.map(String).join('.')}`;
}

function zodToDroverError(error: z.ZodError, source: string): DroverError {
  const issue = error.issues[0]!;
  const where = optionLabel(source, issue.path);
  if (issue.code === 'unrecognized_keys') {
    const known = Object.keys(superviseOptionsSchema.shape);
    const hints = issue.keys.map((key) => {
      const guess = didYouMean(key, known);
      return guess ? `"${key}" (did you mean "${guess}"?)` : `"${key}"`;
    });
    return new DroverError('DROVER_E_INVALID_OPTION', `unknown option ${hints.join(', ')} in ${source}: remove it or fix its spelling`, {
      path: issue.path,
      keys: issue.keys,
    });
  }
  const [first] = describeIssue(issue, [], () => []);
  return new DroverError('DROVER_E_INVALID_OPTION', `${where}: ${first?.text ?? issue.message}`, { path: issue.path });
}

/**
 * Decides how the script runs: Node with the worker runtime, or a plain
 * executable without IPC. The agent has no interpreter option: Node for a
 * JavaScript file, otherwise the file itself.
 */
function resolveCommand(scriptPath: string, interpreter: string | undefined, option: 'script' | 'agent' = 'script'): Pick<AppSpec, 'mode' | 'interpreter'> {
  if (interpreter === 'node') return { mode: 'node', interpreter: undefined };
  if (interpreter === 'none') return { mode: 'exec', interpreter: undefined };
  if (interpreter) return { mode: 'exec', interpreter };
  if (NODE_EXTENSIONS.has(path.extname(scriptPath))) return { mode: 'node', interpreter: undefined };
  try {
    accessSync(scriptPath, constants.X_OK);
  } catch {
    const fix = option === 'script' ? 'chmod +x it, or pass --interpreter node (or another interpreter)' : 'chmod +x it, or give it a .js extension';
    throw new DroverError('DROVER_E_SCRIPT_NOT_EXECUTABLE', `${option === 'agent' ? 'agent ' : ''}${scriptPath} is neither a JavaScript file nor executable: ${fix}`, {
      [option]: scriptPath,
    });
  }
  return { mode: 'exec', interpreter: undefined };
}

/** NODE_CLUSTER_SCHED_POLICY is honoured when balance is not set, as Node's cluster does. */
function resolveBalance(o: ParsedOptions, mode: AppSpec['mode']): Balance {
  const fromEnv = process.env.NODE_CLUSTER_SCHED_POLICY;
  const given = o.balance ?? (fromEnv === 'none' ? 'kernel' : 'round-robin');
  const balance: Balance = given === 'ip-hash' ? STRATEGY_ALIASES['ip-hash'] : given;
  if (balance === 'reuseport') {
    if (!nodeHasSince(REUSEPORT_SINCE)) {
      throw new DroverError(
        'DROVER_E_INVALID_OPTION',
        `balance reuseport needs Node >= 22.12 (this is ${process.versions.node}): upgrade Node, or use --balance kernel (workers share one socket, no master hop)`,
      );
    }
  }
  if (isKernelMode(balance) && o.spares > 0) {
    throw new DroverError('DROVER_E_INVALID_OPTION', `spares need a master-balanced strategy (a spare gets no traffic until promoted), not balance ${balance}: use e.g. --balance round-robin`);
  }
  if (o.execMode === 'fork' && o.balance !== undefined) {
    throw new DroverError('DROVER_E_INVALID_OPTION', `balance ${o.balance} needs execMode cluster: in fork mode each process binds its own ports`);
  }
  if (o.stickyKey !== undefined && (isKernelMode(balance) || o.execMode === 'fork' || mode === 'exec')) {
    const how = o.execMode === 'fork' ? 'execMode fork' : mode === 'exec' ? 'an executable (--interpreter none)' : `balance ${balance}`;
    throw new DroverError('DROVER_E_INVALID_OPTION', `stickyKey needs the master to hand connections over, which ${how} does not: use a master-balanced strategy (e.g. --balance round-robin) in cluster mode`);
  }
  if (mode === 'exec' && o.balance !== undefined) {
    throw new DroverError('DROVER_E_INVALID_OPTION', `balance ${o.balance} needs Node workers: an executable run with --interpreter none binds its own ports`);
  }
  return balance;
}

export { parseSize } from './size.js';

/** option: which option named the file (script or agent), for the message and the error's details. */
export function checkScript(scriptPath: string, option: 'script' | 'agent' = 'script'): void {
  let stat;
  try {
    stat = statSync(scriptPath);
  } catch {
    throw new DroverError('DROVER_E_SCRIPT_NOT_FOUND', `${option} ${scriptPath} does not exist: check the path (relative paths are resolved against cwd)`, {
      [option]: scriptPath,
    });
  }
  if (stat.isDirectory()) {
    throw new DroverError('DROVER_E_SCRIPT_IS_DIRECTORY', `${option} ${scriptPath} is a directory: name the file to run, e.g. ${path.join(scriptPath, 'index.js')}`, {
      [option]: scriptPath,
    });
  }
}

function resolveAgent(cwd: string, o: ParsedOptions): AgentSpec | undefined {
  if (o.agent === undefined) return undefined;
  const script = path.resolve(cwd, o.agent);
  checkScript(script, 'agent');
  const mode = resolveCommand(script, undefined, 'agent').mode;
  // A plain executable has no channel to call ready() on: it is ready once it runs.
  return { script, mode, readyOn: mode === 'exec' || o.agentReadyOn === 'online' ? 'online' : 'signal', readyTimeoutMs: o.agentReadyTimeoutMs };
}

export function resolveSpec(input: SuperviseOptions | ParsedOptions, source = 'options'): AppSpec {
  const o = parseOptions(input, source);
  const cwd = path.resolve(o.cwd ?? process.cwd());
  // A bare command (npm) is looked up on PATH when no such file is in cwd.
  const script = resolveScriptPath(cwd, o.script);
  checkScript(script);
  // TypeScript and Node-based runners (config/typescript.ts): a loader beside the preload, or an error now.
  const runner = resolveRunner(script, { ...o, cwd });
  const { mode, interpreter } = resolveCommand(script, runner ? runner.interpreter : o.interpreter);
  const agent = resolveAgent(cwd, o);
  if (o.cronRestart !== undefined) validateCron(o.cronRestart);
  if (o.maxRestartDelayMs < o.restartDelayMs) {
    throw new DroverError(
      'DROVER_E_INVALID_OPTION',
      `${optionLabel(source, ['maxRestartDelayMs'])} (${o.maxRestartDelayMs}) is below ${optionLabel(source, ['restartDelayMs'])} (${o.restartDelayMs}): raise the cap`,
    );
  }
  const name = o.name ?? defaultAppName(script);
  return {
    state: resolveState(o, name, cwd),
    name,
    script,
    args: o.args,
    cwd,
    env: o.env,
    nodeArgs: runner ? [...runner.nodeArgs, ...o.nodeArgs] : o.nodeArgs,
    mode,
    interpreter,
    agent,
    instances: checkWorkerCount(resolveInstances(o.instances), o.force, optionLabel(source, ['instances'])),
    restart: o.restart,
    stopExitCodes: o.stopExitCodes,
    maxRestarts: o.maxRestarts,
    restartWindowMs: o.restartWindowMs,
    restartDelayMs: o.restartDelayMs,
    maxRestartDelayMs: o.maxRestartDelayMs,
    minUptimeMs: o.minUptimeMs,
    killTimeoutMs: o.killTimeoutMs,
    stopSignal: o.stopSignal,
    // A plain executable has no channel to say it listens: it is ready once it runs.
    readyOn: mode === 'exec' ? 'online' : o.waitReady ? 'signal' : o.execMode === 'fork' ? 'uptime' : o.readyOn,
    readyTimeoutMs: o.readyTimeoutMs,
    readyTimeoutAction: o.readyTimeoutAction,
    execMode: o.execMode,
    reloadBatch: o.reloadBatch,
    balance: resolveBalance(o, mode),
    weights: o.weights,
    stickyKey: o.stickyKey,
    spares: o.spares,
    heartbeatIntervalMs: o.heartbeatIntervalMs,
    heartbeatTimeoutMs: o.heartbeatTimeoutMs,
    maxMemoryBytes: o.maxMemory === undefined ? undefined : parseSize(o.maxMemory),
    maxRequests: o.maxRequests,
    maxRequestsJitter: o.maxRequestsJitter,
    watch: o.watch,
    watchDebounceMs: o.watchDebounceMs,
    cronRestart: o.cronRestart,
    logLevel: o.logLevel,
    ipcMaxMessageBytes: o.ipcMaxMessageBytes,
    treeTracking: o.treeTracking,
  };
}
