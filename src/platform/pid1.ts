// `drover run` as PID 1 of a container.
//
// The kernel reparents every orphan in the PID namespace to PID 1, and an
// orphan that exits stays a zombie until PID 1 waits for it. Node's libuv
// waits only for the children Node spawned itself, and JavaScript cannot call
// wait() for any pid, so a Node PID 1 leaks a zombie per orphan (an app that
// double-forks a helper, a shell script whose background job outlives it).
// drover hands the reaping to tini (a Debian/Alpine package, ~25 KB):
//   - Node >= 22.15 has process.execve: drover replaces itself with
//     `tini -- <node> <drover> run …`; tini is PID 1 (reaps, forwards signals)
//     and drover runs as its child, so nothing stays in between.
//   - older Node: drover starts `tini -s -- <node> <drover> run …` as its
//     child; `-s` makes tini a child subreaper, so orphans of drover and its
//     workers are reparented to tini (their nearest subreaper) and reaped. The
//     Node PID 1 only forwards signals and exits with tini's status.
//   - no tini: a warning at start says what to do (docker run --init, tini as
//     the ENTRYPOINT, or installing tini).
// DROVER_REAPER=off keeps drover itself as PID 1 (the warning stays: nothing
// reaps then). With tini as the image's entrypoint drover is not PID 1 and
// none of this applies.
import { spawn } from 'node:child_process';
import { constants as os } from 'node:os';
import path from 'node:path';
import { firstExecutable } from './first-executable.js';

export type ReaperPlan =
  | { readonly kind: 'none' }
  | { readonly kind: 'execve'; readonly tini: string }
  | { readonly kind: 'spawn'; readonly tini: string }
  | { readonly kind: 'warn'; readonly message: string };

export interface ReaperFacts {
  readonly pid: number;
  readonly tini: string | undefined;
  readonly hasExecve: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export const NO_REAPER_WARNING =
  'drover runs as PID 1 and cannot reap orphaned processes (zombies would pile up): ' +
  'install tini (apt-get install tini, apk add tini) so drover can run under it, ' +
  'make tini the entrypoint (ENTRYPOINT ["tini", "--"]), or start the container with docker run --init';

/** What drover does about zombies, decided from the facts alone. */
export function planReaper(f: ReaperFacts): ReaperPlan {
  if (f.pid !== 1) return { kind: 'none' };
  if (!f.tini || f.env.DROVER_REAPER === 'off') return { kind: 'warn', message: NO_REAPER_WARNING };
  return f.hasExecve ? { kind: 'execve', tini: f.tini } : { kind: 'spawn', tini: f.tini };
}

const TINI_DIRS = ['/usr/bin', '/sbin', '/usr/sbin', '/usr/local/bin', '/bin'];

export function findTini(env: Readonly<Record<string, string | undefined>> = process.env): string | undefined {
  const dirs = [...TINI_DIRS, ...(env.PATH ?? '').split(':').filter((d) => path.isAbsolute(d))];
  return firstExecutable(dirs.flatMap((dir) => ['tini', 'tini-static'].map((name) => path.join(dir, name))));
}

/** Container mode: PID 1, `--container`, or DROVER_CONTAINER=1 (which the re-executed drover inherits). */
export function isContainer(env: Readonly<Record<string, string | undefined>> = process.env, pid = process.pid): boolean {
  return pid === 1 || env.DROVER_CONTAINER === '1';
}

/** The command line that runs this same drover again: node, its flags, the script, the arguments. */
function selfArgv(): string[] {
  return [process.execPath, ...process.execArgv, process.argv[1]!, ...process.argv.slice(2)];
}

/** Signals PID 1 passes on to tini (SIGUSR1 stays out: it opens Node's inspector). */
const FORWARDED: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGTTIN', 'SIGTTOU', 'SIGUSR2', 'SIGWINCH'];

/**
 * Carries out the plan. Resolves with the exit status when drover ran under a
 * tini it started (the caller returns it), undefined when this process goes
 * on to supervise (no plan, or only a warning). execve does not return.
 */
export async function applyReaperPlan(plan: ReaperPlan, warn: (message: string) => void): Promise<number | undefined> {
  switch (plan.kind) {
    case 'none':
      return undefined;
    case 'warn':
      warn(plan.message);
      return undefined;
    case 'execve': {
      const env = { ...process.env, DROVER_CONTAINER: '1' };
      const execve = (process as unknown as { execve: (file: string, args: string[], env: NodeJS.ProcessEnv) => never }).execve;
      execve(plan.tini, [plan.tini, '--', ...selfArgv()], env);
      return undefined;
    }
    case 'spawn':
      return runUnderTini(plan.tini);
    default:
      return assertNever(plan);
  }
}

function runUnderTini(tini: string): Promise<number> {
  const [node, ...rest] = selfArgv();
  const child = spawn(tini, ['-s', '--', node!, ...rest], { stdio: 'inherit', env: { ...process.env, DROVER_CONTAINER: '1' } });
  const forward = (signal: NodeJS.Signals) => () => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  const handlers = FORWARDED.map((signal) => [signal, forward(signal)] as const);
  for (const [signal, handler] of handlers) process.on(signal, handler);
  return new Promise((resolve) => {
    child.on('error', (err) => {
      process.stderr.write(`drover: could not start ${tini}: ${err.message}\n`);
      resolve(1);
    });
    child.on('exit', (code, signal) => {
      for (const [s, handler] of handlers) process.off(s, handler);
      resolve(code ?? 128 + (signal ? (os.signals[signal] ?? 0) : 0));
    });
  });
}

function assertNever(x: never): never {
  throw new Error(`unexpected reaper plan ${JSON.stringify(x)}`);
}
