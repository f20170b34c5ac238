// The CLI's connection to the daemon, starting the daemon when a command
// needs it and none runs (detached, its output appended to
// DROVER_HOME/logs/daemon.log).
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DroverError, isDroverError } from '../errors.js';
import { checkHomeTrust, checkSocketOwner } from '../platform/home-trust.js';
import { closeLogFd, openLogFd } from '../platform/safe-log.js';
import { SUPERVISOR_NODE_FLAGS } from '../control/node-flags.js';
import { supervisorEnv } from '../control/stored-env.js';
import type { ControlClient } from '../control/client.js';
import { connectRunningDaemon } from './daemon-socket.js';
import type { DaemonCommands } from '../control/commands.js';
import { droverPaths, ensureHome, type DroverPaths } from '../control/paths.js';
import { keptStandbyMaster, spawnStandbyMaster, standbyMasterEnabled, type StandbyMaster } from '../control/standby.js';
import { trace } from '../control/trace.js';

// Started by path, not imported: the CLI does not load the daemon's code.
const DAEMON_JS = fileURLToPath(new URL('../daemon/main.js', import.meta.url));
const START_TIMEOUT_MS = 10_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function tail(file: string, lines = 5): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join(' | ');
  } catch {
    return '';
  }
}

const connect = connectRunningDaemon;

const NOT_RUNNING = new Set(['ENOENT', 'ECONNREFUSED']);

interface Spawned {
  exited: number | undefined;
}

let prestarted: Spawned | undefined;

function spawnDaemon(paths: DroverPaths, flags: string[] = []): Spawned {
  // hook (issue 15): a daemon.log that cannot be opened costs the log, not the daemon;
  // the daemon never holds the caller's environment (control/stored-env.ts).
  const fd = openLogFd(paths.daemonLog);
  const state: Spawned = { exited: undefined };
  try {
    const child = spawn(process.execPath, [...SUPERVISOR_NODE_FLAGS, DAEMON_JS, ...flags], { detached: true, stdio: ['ignore', fd, fd], cwd: paths.home, env: supervisorEnv(process.env) });
    child.on('error', () => (state.exited = -1));
    child.on('exit', (code) => (state.exited = code ?? -1));
    child.unref();
  } finally {
    closeLogFd(fd);
  }
  return state;
}

let prespawned: StandbyMaster | undefined;

/**
 * Called first thing for a command that will need the daemon: when none runs
 * (no socket file), it starts booting while the CLI loads and parses, which
 * takes the CLI's own start-up off a cold `drover start`. For `drover start
 * <script>` (master: true) the app master boots now too, in parallel with the
 * CLI (and a cold daemon), instead of after the daemon asks for one: the
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
    prestarted = spawnDaemon(paths, master ? ['--master-prespawned'] : []);
    if (master) prespawnMaster(paths);
  } catch {
    // reported by connectDaemon
  }
}

function prespawnMaster(paths: DroverPaths): void {
  const standby = spawnStandbyMaster(paths);
  trace('cli: master spawned');
  if (standby.pid !== undefined) prespawned = standby;
}

/** The master prestartDaemon() started, once (the caller must provide() it). */
export function takePrespawnedMaster(): StandbyMaster | undefined {
  const p = prespawned;
  prespawned = undefined;
  return p;
}

/**
 * A connection to the daemon. With start: false, undefined when none runs
 * (for commands that can answer without one).
 */
export async function connectDaemon(options: { start: boolean }, paths: DroverPaths = droverPaths()): Promise<ControlClient<DaemonCommands> | undefined> {
  // hook (issue 15): nothing goes to a home (or socket) another user could have planted.
  checkHomeTrust(paths.home, [paths.apps, paths.logs]);
  if (prestarted && options.start) return waitForDaemon(paths, prestarted);
  try {
    return await connect(paths);
  } catch (err) {
    if (isDroverError(err)) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (!NOT_RUNNING.has(code)) {
      // A home that is not a usable directory is the better diagnosis.
      ensureHome(paths);
      throw new DroverError('DROVER_E_DAEMON_UNREACHABLE', `cannot reach the drover daemon at ${paths.socket}: ${(err as Error).message}`);
    }
    if (!options.start) return undefined;
  }
  ensureHome(paths);
  return waitForDaemon(paths, spawnDaemon(paths));
}

async function waitForDaemon(paths: DroverPaths, spawned: Spawned): Promise<ControlClient<DaemonCommands>> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const exited = spawned.exited;
    try {
      return await connect(paths);
    } catch (err) {
      if (isDroverError(err)) throw err;
      const code = (err as NodeJS.ErrnoException).code ?? '';
      // Exit 0: another daemon won the race to start; keep trying to reach it.
      if ((exited !== undefined && exited !== 0) || Date.now() > deadline || !NOT_RUNNING.has(code)) {
        const why = tail(paths.daemonLog);
        throw new DroverError(
          'DROVER_E_DAEMON_UNREACHABLE',
          `the drover daemon could not be started${exited !== undefined ? ` (it exited with ${exited})` : ''}${why ? `: ${why}` : ''}; see ${paths.daemonLog}`,
          { log: paths.daemonLog },
        );
      }
    }
    await sleep(spawned.exited === undefined ? 5 : 20);
  }
}
