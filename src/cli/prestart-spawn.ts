// The CLI's first act for a command that will need the daemon: start the
// daemon when none runs and, for `drover start <script>`, boot the app's
// master, so both load while the CLI itself loads and parses (issue 17).
// Built twice: into the `drover` bin's CommonJS bundle (dist/cli/bin.cjs,
// which calls it before it loads the ES module CLI: the master, a warm
// start's critical path, was spawned 434 → 223 ms after the CLI's exec in two
// traces under load, docs/daemon.md) and as ESM for
// prestart.ts (`node dist/cli/main.js`). So no import.meta here
// (platform/install-dir.cts), and what it started is kept on globalThis,
// where both copies of this module find it: started once per process, taken
// once by the start action (takePrespawnedMaster) and connectDaemon.
import { spawn } from 'node:child_process';
import { existsSync, lstatSync } from 'node:fs';
import path from 'node:path';
import { isConfigFileName } from '../config/names.js';
import { daemonNodeFlags } from '../control/node-flags.js';
import { droverPaths, ensureHome, type DroverPaths } from '../control/paths.js';
import { keptStandbyMaster, spawnStandbyMaster, standbyMasterEnabled, type StandbyMaster } from '../control/standby.js';
import { supervisorEnv } from '../control/stored-env.js';
import { trace } from '../control/trace.js';
import { PREBOOT_ENV, startupEnv } from '../runtime/preboot-env.js';
import { DIST_DIR } from '../platform/install-dir.cjs';
import { nodeAtLeast } from '../platform/node-version.cjs';
import { checkHomeTrust, checkSocketOwner } from '../platform/home-trust.js';
import { closeLogFd, openLogFd } from '../platform/safe-log.js';

// Started by path, not imported: the CLI does not load the daemon's code. On
// Node 20 its CommonJS build when there is one (`npm run build`; a bare `tsc
// -p tsconfig.json` leaves only the ESM one), the ES module one from Node 22
// (issue 17, the daemon's private memory, paired with 2 apps × 2 workers,
// docs/daemon.md: Node 20 7.9 → 7.0 MB as CommonJS; Node 24 15.5 → 16.8 MB,
// worse, so not there; Node 22 not measured, left as it was).
const daemonJs = (): string => {
  const cjs = path.join(DIST_DIR, 'cjs/daemon/main.js');
  return !nodeAtLeast(22) && existsSync(cjs) ? cjs : path.join(DIST_DIR, 'daemon/main.js');
};

const NEEDS_DAEMON = new Set(['start', 'list', 'ls', 'describe', 'show', 'stop', 'restart', 'reload', 'delete', 'del', 'scale', 'signal', 'save', 'resurrect', 'ping']);

export interface Spawned {
  exited: number | undefined;
}

interface Prestart {
  /** prestartFor ran in this process (the bin's copy or the ESM one). */
  done: boolean;
  daemon: Spawned | undefined;
  master: StandbyMaster | undefined;
}

const KEY = Symbol.for('drover.cli.prestart');
function state(): Prestart {
  const g = globalThis as { [KEY]?: Prestart };
  return (g[KEY] ??= { done: false, daemon: undefined, master: undefined });
}

export function spawnDaemon(paths: DroverPaths, flags: string[] = []): Spawned {
  // hook (issue 15): a daemon.log that cannot be opened costs the log, not the daemon;
  // the daemon never holds the caller's environment (control/stored-env.ts).
  const fd = openLogFd(paths.daemonLog);
  const spawned: Spawned = { exited: undefined };
  try {
    const child = spawn(process.execPath, [...daemonNodeFlags(), daemonJs(), ...flags], { detached: true, stdio: ['ignore', fd, fd], cwd: paths.home, env: supervisorEnv(process.env) });
    child.on('error', () => (spawned.exited = -1));
    child.on('exit', (code) => (spawned.exited = code ?? -1));
    child.unref();
  } finally {
    closeLogFd(fd);
  }
  return spawned;
}

/**
 * For the command line argv (without node and the script): which start-up
 * work to do now. Not for --help, -h, --version, a typo, logs or kill, and
 * not for a start of a config file (a config is validated before anything
 * starts: a rejected one must not even start the daemon). Once per process.
 */
export function prestartFor(argv: readonly string[]): void {
  const s = state();
  if (s.done) return;
  s.done = true;
  const [command, target] = argv;
  if (command === undefined || !NEEDS_DAEMON.has(command)) return;
  if (argv.some((a) => a === '-h' || a === '--help' || a === '-v' || a === '--version')) return;
  const plainScript = target !== undefined && /\.(m|c)?[jt]s$/.test(target) && !isConfigFileName(target) && existsSync(target);
  if (command !== 'start' || plainScript) prestartDaemon({ master: command === 'start' });
}

/**
 * When no daemon runs (no socket file), it starts booting now, which takes
 * the CLI's own start-up off a cold `drover start`. For `drover start
 * <script>` (master: true) the app master boots now too, in parallel with
 * the CLI (and a cold daemon), instead of after the daemon asks for one: the
 * daemon adopts it. A warm start does the same unless the daemon keeps a
 * standby master of its own (DROVER_SPARE_MASTER=1). Any problem is left for
 * connectDaemon() to report.
 */
export function prestartDaemon(options: { master?: boolean } = {}, paths: DroverPaths = droverPaths()): void {
  try {
    const master = options.master === true && standbyMasterEnabled();
    if (existsSync(paths.socket) || existsSync(paths.pidFile)) {
      // hook (issue 15): nothing is started in a home, or beside a socket, another user could have planted
      // (connectDaemon refuses them with the reason; this only stays out of the way).
      // Only beside a daemon that looks alive (its socket is a socket): a start that will fail anyway must
      // not leave a master booting behind it.
      if (master && !keptStandbyMaster() && lstatSync(paths.socket).isSocket()) {
        checkHomeTrust(paths.home, [paths.apps, paths.logs]);
        checkSocketOwner(paths.socket);
        prespawnMaster(paths);
      }
      return;
    }
    ensureHome(paths);
    state().daemon = spawnDaemon(paths, master ? ['--master-prespawned'] : []);
    if (master) prespawnMaster(paths);
  } catch {
    // reported by connectDaemon
  }
}

function prespawnMaster(paths: DroverPaths): void {
  // The caller's start-up variables, for the worker the master pre-boots (runtime/preboot.ts).
  const standby = spawnStandbyMaster(paths, undefined, { [PREBOOT_ENV]: JSON.stringify(startupEnv(process.env)) });
  trace('cli: master spawned');
  if (standby.pid !== undefined) state().master = standby;
}

/** The daemon prestartDaemon() started, if any. */
export function prestartedDaemon(): Spawned | undefined {
  return state().daemon;
}

/** The master prestartDaemon() started, once (the caller must provide() it). */
export function takePrespawnedMaster(): StandbyMaster | undefined {
  const s = state();
  const p = s.master;
  s.master = undefined;
  return p;
}
