// What `drover run` adds for production hosts, kept out of cli/run.ts:
//   prelude()      before anything starts: as PID 1, run under tini (pid1.ts)
//   attach(app)    the systemd link (notify + watchdog), the run-state file for signal-reload
//   say()          run.ts's own lines on stderr: text on a terminal, a JSON
//                  line in a container (log collectors parse one format)
import { DroverError, isDroverError } from '../errors.js';
import { applyReaperPlan, findTini, isContainer, planReaper } from './pid1.js';
import { attachRunState } from './run-state.js';
import { attachSystemd, type NotifiedApp } from './systemd-notify.js';

export interface PlatformLink {
  close(): Promise<void>;
}

/** `--container` on the command line (cli/platform-commands.ts) sets it for this process and what it re-executes. */
export function setContainerMode(): void {
  process.env.DROVER_CONTAINER = '1';
}

function warn(message: string): void {
  say('warn', message);
}

/** One line of drover's own on stderr (the lifecycle log is pino's JSON on stdout). */
export function say(level: 'info' | 'warn' | 'error', message: string, code?: string): void {
  if (isContainer()) {
    // pino's numeric levels, as on stdout.
    const number = { info: 30, warn: 40, error: 50 }[level];
    process.stderr.write(`${JSON.stringify({ level: number, time: Date.now(), pid: process.pid, msg: message, ...(code ? { code } : {}) })}\n`);
  } else {
    process.stderr.write(level === 'info' ? `drover: ${message}\n` : level === 'warn' ? `drover: warning: ${message}\n` : `drover: ${message}${code ? ` [${code}]` : ''}\n`);
  }
}

/**
 * An error before the supervisor exists (bad options): in a container a JSON
 * line and its exit status; elsewhere it is thrown on to the CLI's own report.
 */
export function startError(err: unknown): number {
  if (!isContainer()) throw err;
  const e = isDroverError(err) ? err : new DroverError('DROVER_E_INTERNAL', err instanceof Error ? (err.stack ?? err.message) : String(err));
  say('error', e.message, e.code);
  return e.exitCode;
}

/** Resolves with an exit status when this process only stood in for a tini-wrapped drover; undefined: go on. */
export async function prelude(): Promise<number | undefined> {
  const plan = planReaper({ pid: process.pid, tini: findTini(), hasExecve: typeof (process as { execve?: unknown }).execve === 'function', env: process.env });
  return applyReaperPlan(plan, warn);
}

export function attachPlatform(app: NotifiedApp): PlatformLink {
  const systemd = attachSystemd(app, { warn });
  const runState = attachRunState(app, warn);
  return {
    async close() {
      runState?.close();
      await systemd?.close();
    },
  };
}
