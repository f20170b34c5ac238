// Starting worker processes. Never a shell: argv arrays only.
//
// Each worker is started detached (setsid), so it leads its own process group
// and the whole tree it spawns can be signalled as one (kill(-pgid)).
//
// No orphans when the master dies, even by SIGKILL:
// - a Node worker's runtime sees the IPC channel close and SIGKILLs its own
//   group, its children included. (A kernel death signal would kill the worker
//   first and orphan its children, so Node workers do not get one; the price is
//   that a worker whose event loop is blocked at that moment lingers until the
//   loop runs again.)
// - an executable without IPC is started through util-linux's
//   `setpriv --pdeathsig KILL`, so the kernel kills it when the master dies.
//   setpriv execs the target: the pid we see is the program's own.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import type { AgentSpec, AppSpec } from '../core/types.js';
// platform hook (issue 14): NOTIFY_SOCKET and WATCHDOG_* stay with the master.
import { withoutServiceEnv } from '../platform/service-env.js';
import { takePrebooted } from './preboot.js';

const SETPRIV = '/usr/bin/setpriv';
const hasSetpriv = (() => {
  if (process.platform !== 'linux') return false;
  try {
    accessSync(SETPRIV, constants.X_OK);
    return true;
  } catch {
    return false;
  }
})();

import { AGENT_PRELOAD_PATH, preloadArgs } from './preload-flag.js';

export interface WorkerIdentity {
  readonly wid: number;
  readonly slot: number;
  /** Added last, so the app's env cannot override them (messaging: the hub's socket and this worker's token). */
  readonly env?: Readonly<Record<string, string>>;
}

function appEnv(spec: AppSpec): NodeJS.ProcessEnv {
  return withoutServiceEnv({
    ...process.env,
    ...spec.env,
    DROVER_APP: spec.name,
    DROVER_KILL_TIMEOUT_MS: String(spec.killTimeoutMs),
    DROVER_STOP_SIGNAL: spec.stopSignal,
  });
}

export function workerEnv(spec: AppSpec, id: WorkerIdentity): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...appEnv(spec),
    DROVER_WORKER_ID: String(id.slot),
    NODE_APP_INSTANCE: String(id.slot),
    DROVER_BALANCE: spec.balance,
    ...id.env,
  };
  // Fork mode: the worker runtime leaves listen() alone (the process binds its own ports).
  if (spec.execMode === 'fork') env.DROVER_EXEC_MODE = 'fork';
  else delete env.DROVER_EXEC_MODE;
  // Inherited from a master that is itself an agent, it would make drover/worker's isAgent lie.
  delete env.DROVER_AGENT;
  return env;
}

/**
 * The agent's environment: DROVER_AGENT=1 and never DROVER_WORKER_ID (not even
 * one inherited from a master that runs under drover itself), so the worker
 * runtime stays out of it. hubEnv: its messaging variables, added last.
 */
export function agentEnv(spec: AppSpec, hubEnv: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...appEnv(spec), DROVER_AGENT: '1', ...hubEnv };
  delete env.DROVER_WORKER_ID;
  delete env.NODE_APP_INSTANCE;
  return env;
}

function deathSignalPrefix(): string[] {
  return hasSetpriv ? ['--pdeathsig', 'KILL', '--'] : [];
}

interface Program {
  readonly script: string;
  readonly args: readonly string[];
  readonly mode: 'node' | 'exec';
  readonly interpreter: string | undefined;
  /** Node only. */
  readonly execArgv: readonly string[];
}

function launch(spec: AppSpec, program: Program, env: NodeJS.ProcessEnv, pipes: boolean): ChildProcess {
  const out = pipes ? 'pipe' : 'inherit';
  if (program.mode === 'node') {
    return fork(program.script, [...program.args], {
      cwd: spec.cwd,
      env,
      detached: true,
      stdio: ['ignore', out, out, 'ipc'],
      serialization: 'json',
      execArgv: [...program.execArgv],
    });
  }
  const argv = program.interpreter ? [program.interpreter, program.script, ...program.args] : [program.script, ...program.args];
  const [file, ...rest] = hasSetpriv ? [SETPRIV, ...deathSignalPrefix(), ...argv] : argv;
  return spawn(file!, rest, { cwd: spec.cwd, env, detached: true, stdio: ['ignore', out, out] });
}

/** pipes: stdout/stderr as pipes the caller reads (the daemon's app master logs them), instead of inherited. */
export function startWorker(spec: AppSpec, id: WorkerIdentity, options: { pipes?: boolean } = {}): ChildProcess {
  const program = { script: spec.script, args: spec.args, mode: spec.mode, interpreter: spec.interpreter, execArgv: [...preloadArgs(), ...spec.nodeArgs] };
  const env = workerEnv(spec, id);
  const pipes = options.pipes ?? false;
  // The app master's pre-booted process when it fits (runtime/preboot.ts), else a fresh fork.
  return takePrebooted(spec, env, program.execArgv, pipes) ?? launch(spec, program, env, pipes);
}

/**
 * The agent: the app's node arguments, cwd and env, without the worker runtime
 * (it shares no ports). A Node agent gets an IPC channel nobody reads, so
 * process.send() in app code does not throw, and a preload that bounds what it
 * may send on it (worker/agent-preload.ts); its process group is ended by the
 * supervisor's group guard when the master dies.
 */
export function startAgent(spec: AppSpec, agent: AgentSpec, hubEnv: Readonly<Record<string, string>>, options: { pipes?: boolean } = {}): ChildProcess {
  const program = { script: agent.script, args: [], mode: agent.mode, interpreter: undefined, execArgv: ['--import', AGENT_PRELOAD_PATH, ...spec.nodeArgs] };
  return launch(spec, program, agentEnv(spec, hubEnv), options.pipes ?? false);
}
