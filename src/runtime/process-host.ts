// Starting worker processes. Never a shell: argv arrays only.
//
// Each worker is started detached (setsid), so it leads its own process group
// and the whole tree it spawns can be signalled as one (kill(-pgid)).
// On Linux the start goes through util-linux's setpriv --pdeathsig, so the
// kernel kills the worker the moment the master dies, even by SIGKILL and even
// when the worker's event loop is blocked; the worker runtime then also kills
// its own group on IPC disconnect (its children). setpriv execs the target, so
// the pid we see is the worker's own.
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
  };
}

function deathSignalPrefix(): string[] {
  return hasSetpriv ? ['--pdeathsig', 'KILL', '--'] : [];
}

export function startWorker(spec: AppSpec, id: WorkerIdentity): ChildProcess {
  const env = workerEnv(spec, id);
  if (spec.mode === 'node') {
    const execArgv = ['--import', PRELOAD_PATH, ...spec.nodeArgs];
    return fork(spec.script, [...spec.args], {
      cwd: spec.cwd,
      env,
      detached: true,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'json',
      execPath: hasSetpriv ? SETPRIV : process.execPath,
      execArgv: hasSetpriv ? [...deathSignalPrefix(), process.execPath, ...execArgv] : execArgv,
    });
  }
  const argv = spec.interpreter ? [spec.interpreter, spec.script, ...spec.args] : [spec.script, ...spec.args];
  const [file, ...rest] = hasSetpriv ? [SETPRIV, ...deathSignalPrefix(), ...argv] : argv;
  return spawn(file!, rest, { cwd: spec.cwd, env, detached: true, stdio: ['ignore', 'inherit', 'inherit'] });
}
