// A standby master is an app master process started before it has an app
// (imports loaded, waiting for its launch record on stdin), so a `drover
// start` does not wait for Node and drover's modules to load. Not to be
// confused with spare workers (the `spares` option). The CLI starts one on a
// cold start, the daemon keeps one ready afterwards.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { masterLog, type DroverPaths } from './paths.js';
import type { LaunchRecord } from './records.js';

/** DROVER_STANDBY_MASTER=0 (or the older spelling DROVER_SPARE_MASTER=0) turns standby masters off. */
export function standbyMasterEnabled(env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  return (env.DROVER_STANDBY_MASTER ?? env.DROVER_SPARE_MASTER) !== '0';
}

const MASTER_JS = fileURLToPath(new URL('../daemon/app-master.js', import.meta.url));

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
 * log. Its stdin is a pipe from the starter: when the starter goes before
 * handing it an app, it reads end-of-file and exits (no orphan).
 */
export function spawnStandbyMaster(paths: DroverPaths, onExit?: (master: StandbyMaster) => void): StandbyMaster {
  const fd = openSync(masterLog(paths), 'a', 0o600);
  try {
    const child = spawn(process.execPath, [MASTER_JS], {
      detached: true,
      stdio: ['pipe', 'ignore', fd],
      env: { ...process.env, DROVER_HOME: paths.home },
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
    closeSync(fd);
  }
}
