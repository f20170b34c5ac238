// A standby master is an app master process started before it has an app
// (imports loaded, waiting for its launch record on stdin), so a `drover
// start` does not wait for Node and drover's modules to load after the daemon
// asks for a master. Not to be confused with spare workers (the `spares`
// option). `drover start <script>` boots one itself, in parallel with its own
// start-up and the daemon's (cold start: the daemon's boot too), and the
// daemon adopts it. The daemon keeps one idle in advance only when asked
// (DROVER_SPARE_MASTER=1): measured in docs/daemon.md, its start time gain
// did not pay for a Node process idling beside every installation.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { DIST_DIR } from '../platform/install-dir.cjs';
import { closeLogFd, openLogFd } from '../platform/safe-log.js';
import { SUPERVISOR_MALLOC_ENV, SUPERVISOR_NODE_FLAGS } from './node-flags.js';
import { masterLog, type DroverPaths } from './paths.js';
import type { LaunchRecord } from './records.js';
import { supervisorEnv } from './stored-env.js';

type Env = Readonly<Record<string, string | undefined>>;
/** DROVER_STANDBY_MASTER, or its older spelling DROVER_SPARE_MASTER. */
const setting = (env: Env): string | undefined => env.DROVER_STANDBY_MASTER ?? env.DROVER_SPARE_MASTER;

/** The CLI boots the app's master itself for `drover start <script>`; DROVER_SPARE_MASTER=0 turns it off. */
export function standbyMasterEnabled(env: Env = process.env): boolean {
  return setting(env) !== '0';
}

/** The daemon keeps one standby master idle in advance: only with DROVER_SPARE_MASTER=1 (issue 17). */
export function keptStandbyMaster(env: Env = process.env): boolean {
  return setting(env) === '1';
}

/**
 * The master's CommonJS build (tsconfig.cjs.json, daemon/app-master.ts): an
 * idle master holds ~1.8 MB less than with the ESM loader (issue 17). The ESM
 * build after a bare `tsc -p tsconfig.json`. Looked up once per process. No
 * import.meta: the `drover` bin's CommonJS bundle boots masters too
 * (cli/prestart-spawn.ts).
 */
let masterJs: string | undefined;
function masterEntry(): string {
  const cjs = path.join(DIST_DIR, 'cjs/daemon/app-master.js');
  masterJs ??= existsSync(cjs) ? cjs : path.join(DIST_DIR, 'daemon/app-master.js');
  return masterJs;
}

export interface StandbyMaster {
  readonly pid: number | undefined;
  readonly child: ChildProcess;
  /** Set when the process ended. */
  exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** Hands it its app, or (undefined) tells it to exit. Only the first call counts. */
  provide(record: LaunchRecord | undefined): void;
}

/**
 * Starts a standby master: detached (its own process group, so it outlives
 * whoever started it once it has an app), stderr appended to the masters'
 * log (extraEnv: added to its environment). Its stdin is a pipe from the starter: when the starter goes before
 * handing it an app, it reads end-of-file and exits (no orphan).
 */
export function spawnStandbyMaster(paths: DroverPaths, onExit?: (master: StandbyMaster) => void, extraEnv: Readonly<Record<string, string>> = {}): StandbyMaster {
  // hook (issue 15): masters.log that cannot be opened costs the log; a standby master never
  // holds its starter's environment (stored-env.ts): its app's env comes with the record.
  const fd = openLogFd(masterLog(paths));
  try {
    const child = spawn(process.execPath, [...SUPERVISOR_NODE_FLAGS, masterEntry()], {
      detached: true,
      stdio: ['pipe', 'ignore', fd],
      env: { ...supervisorEnv(process.env), ...SUPERVISOR_MALLOC_ENV, ...extraEnv, DROVER_HOME: paths.home },
      cwd: paths.home,
    });
    let provided = false;
    const master: StandbyMaster = {
      pid: child.pid,
      child,
      exited: undefined,
      provide(record) {
        if (provided) return;
        provided = true;
        child.stdin!.end(record ? JSON.stringify(record) : undefined);
        // The CLI that started it may exit now; the pipe flushes first.
        (child.stdin as unknown as { unref?: () => void }).unref?.();
      },
    };
    child.on('error', () => {});
    child.on('exit', (code, signal) => {
      master.exited = { code, signal };
      onExit?.(master);
    });
    child.stdin!.on('error', () => {});
    child.unref();
    return master;
  } finally {
    closeLogFd(fd);
  }
}
