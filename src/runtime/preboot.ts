// One pre-booted worker per app master (issue 17): an app master that waits
// for its app (control/standby.ts: the one `drover start <script>` boots with
// the CLI, or the daemon's spare) forks a Node process with the worker
// runtime loaded and no app (worker/preboot.ts). The app's first worker is
// that process, given its environment, cwd and argv over IPC, instead of a
// fresh fork: Node's start-up is then done while the CLI still parses.
//
// Fresh fork instead (prebootMismatch), exactly when:
// - the app is not a Node script run by drover's preload (mode exec, an
//   interpreter), or the preload is the ESM build (no dist/cjs);
// - it has node arguments (nodeArgs / --node-args: node flags and execArgv
//   apply at start-up only);
// - its environment differs from the pre-booted one's in a variable read at
//   start-up: NODE_* (NODE_OPTIONS, NODE_PATH, NODE_EXTRA_CA_CERTS, ...; not
//   NODE_ENV or NODE_APP_INSTANCE, which only the app reads), UV_*, LD_*,
//   MALLOC_*, GLIBC_TUNABLES, OPENSSL_*, SSL_CERT_*, LANG, LANGUAGE, LC_*;
// - its output is not piped to the master (pipes: false);
// - the pre-booted process has exited or lost its channel.
// Everything else (the rest of the env, cwd, argv, execArgv as seen by the
// app) is applied by the process itself before the app loads.
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { DIST_DIR } from '../platform/install-dir.cjs';
import type { AppSpec } from '../core/types.js';
import { trace } from '../control/trace.js';
import { keptStandbyMaster } from '../control/standby.js';
import { PRELOAD_CJS_PATH } from './preload-flag.js';
import { bootEnv, prebootMismatch } from './preboot-env.js';

const PREBOOT_JS = path.join(DIST_DIR, 'cjs/worker/preboot.js');

interface Prebooted {
  readonly child: ChildProcess;
  readonly env: Readonly<Record<string, string>>;
}

let slot: Prebooted | undefined;

/**
 * Opt-in: DROVER_PREBOOT_WORKER=1, or the daemon's kept spare master
 * (DROVER_SPARE_MASTER=1) unless DROVER_PREBOOT_WORKER=0. Not the default:
 * its gain on a warm start was within the noise of the paired runs
 * (docs/daemon.md), and the worker it becomes shows `worker/preboot.js` and
 * the start-up environment in /proc/<pid>/cmdline and environ, not the app's,
 * which `ps` and scripts that look for the app by its command line would not
 * expect.
 */
export function prebootEnabled(env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  const set = env.DROVER_PREBOOT_WORKER;
  const on = set === '1' || (set !== '0' && keptStandbyMaster(env));
  return on && existsSync(PREBOOT_JS) && existsSync(PRELOAD_CJS_PATH);
}

/**
 * Forks the pre-booted worker (once; the caller's process.env gives its
 * start-up env through bootEnv). Its own process group, as every worker; its
 * channel unref'd, so it never keeps the master alive; it exits when the
 * master does (its channel closes).
 */
export function preboot(cwd: string): void {
  if (slot) return;
  const env = bootEnv(process.env);
  try {
    trace('master: pre-booting a worker');
    const child = fork(PREBOOT_JS, [], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'json', execArgv: [] });
    child.on('error', () => {});
    child.unref();
    child.channel?.unref();
    slot = { child, env };
    child.once('exit', () => {
      if (slot?.child === child) slot = undefined;
    });
  } catch {
    slot = undefined;
  }
}

/**
 * The pre-booted process as this worker, launched, or undefined (fork one).
 * Taken once: a later worker is always a fresh fork.
 */
export function takePrebooted(spec: AppSpec, env: NodeJS.ProcessEnv, execArgv: readonly string[], pipes: boolean): ChildProcess | undefined {
  const p = slot;
  if (!p) return undefined;
  slot = undefined;
  const { child } = p;
  const why = child.exitCode !== null || child.signalCode !== null || !child.connected ? 'exited' : prebootMismatch(spec, p.env, env, pipes);
  if (why !== undefined) {
    trace(`master: pre-booted worker not used (${why})`);
    end(child);
    return undefined;
  }
  trace('master: pre-booted worker launched');
  const launchEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) launchEnv[key] = value;
  child.send({ kind: 'drover:launch', env: launchEnv, cwd: spec.cwd, script: spec.script, args: [...spec.args], execArgv: [...execArgv] });
  child.ref();
  child.channel?.ref();
  return child;
}

/** Ends an unused pre-booted process (the start took another way, or the master ends). */
export function discardPrebooted(): void {
  const p = slot;
  slot = undefined;
  if (p) end(p.child);
}

function end(child: ChildProcess): void {
  if (child.connected) child.disconnect();
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}
