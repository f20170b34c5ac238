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
import { fileURLToPath } from 'node:url';
import type { AppSpec } from '../core/types.js';

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

export const PRELOAD_PATH = fileURLToPath(new URL('../worker/preload.js', import.meta.url));

export interface WorkerIdentity {
  readonly wid: number;
  readonly slot: number;
  /** Added last, so the app's env cannot override them (messaging: the hub's socket and this worker's token). */
  readonly env?: Readonly<Record<string, string>>;
}

export function workerEnv(spec: AppSpec, id: WorkerIdentity): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...spec.env,
    DROVER_APP: spec.name,
    DROVER_WORKER_ID: String(id.slot),
    NODE_APP_INSTANCE: String(id.slot),
    DROVER_KILL_TIMEOUT_MS: String(spec.killTimeoutMs),
    DROVER_STOP_SIGNAL: spec.stopSignal,
    DROVER_BALANCE: spec.balance,
    ...id.env,
  };
}

function deathSignalPrefix(): string[] {
  return hasSetpriv ? ['--pdeathsig', 'KILL', '--'] : [];
}

/** pipes: stdout/stderr as pipes the caller reads (the daemon's app master logs them), instead of inherited. */
export function startWorker(spec: AppSpec, id: WorkerIdentity, options: { pipes?: boolean } = {}): ChildProcess {
  const env = workerEnv(spec, id);
  const out = options.pipes ? 'pipe' : 'inherit';
  if (spec.mode === 'node') {
    const execArgv = ['--import', PRELOAD_PATH, ...spec.nodeArgs];
    return fork(spec.script, [...spec.args], {
      cwd: spec.cwd,
      env,
      detached: true,
      stdio: ['ignore', out, out, 'ipc'],
      serialization: 'json',
      execArgv,
    });
  }
  const argv = spec.interpreter ? [spec.interpreter, spec.script, ...spec.args] : [spec.script, ...spec.args];
  const [file, ...rest] = hasSetpriv ? [SETPRIV, ...deathSignalPrefix(), ...argv] : argv;
  return spawn(file!, rest, { cwd: spec.cwd, env, detached: true, stdio: ['ignore', out, out] });
}
