// The CLI's connection to the daemon, starting the daemon when a command
// needs it and none runs (detached, its output appended to
// DROVER_HOME/logs/daemon.log).
import { readFileSync } from 'node:fs';
import { DroverError, isDroverError } from '../errors.js';
import { checkHomeTrust } from '../platform/home-trust.js';
import type { ControlClient } from '../control/client.js';
import { connectRunningDaemon } from './daemon-socket.js';
import type { DaemonCommands } from '../control/commands.js';
import { droverPaths, ensureHome, type DroverPaths } from '../control/paths.js';
import { prestartedDaemon, spawnDaemon, type Spawned } from './prestart-spawn.js';
export { prestartDaemon, takePrespawnedMaster } from './prestart-spawn.js';

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

/**
 * A connection to the daemon. With start: false, undefined when none runs
 * (for commands that can answer without one).
 */
export async function connectDaemon(options: { start: boolean }, paths: DroverPaths = droverPaths()): Promise<ControlClient<DaemonCommands> | undefined> {
  // hook (issue 15): nothing goes to a home (or socket) another user could have planted.
  checkHomeTrust(paths.home, [paths.apps, paths.logs]);
  const prestarted = prestartedDaemon();
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
