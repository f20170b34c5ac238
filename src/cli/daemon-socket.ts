// A connection to a daemon that runs: the one way the CLI opens the daemon's
// socket, for daemon-client.ts (which also starts one) and list-fast.ts
// (which must not load what starting one needs).
import { ControlClient } from '../control/client.js';
import type { DaemonCommands } from '../control/commands.js';
import type { DroverPaths } from '../control/paths.js';

/** Rejects with the socket's errno error (ENOENT, ECONNREFUSED: none runs) or a DroverError. */
export function connectRunningDaemon(paths: DroverPaths): Promise<ControlClient<DaemonCommands>> {
  return ControlClient.connect<DaemonCommands>(paths.socket, {
    timeoutMs: 3000,
    lostCode: 'DROVER_E_DAEMON_UNREACHABLE',
    lostMessage: `the drover daemon closed the connection before answering: see ${paths.daemonLog}`,
  });
}
