// The daemon process (entry: main.ts), started on demand by the CLI (detached, stdout and
// stderr appended to DROVER_HOME/logs/daemon.log).
//
// SIGTERM/SIGINT end the daemon only: the app masters keep serving and the
// next daemon adopts them (an upgrade of drover without downtime). `drover
// kill` stops the apps first.
import { formatError, isDroverError } from '../errors.js';
import { Daemon } from './daemon.js';
import { log } from './log.js';
import { droverPaths, ensureHome } from '../control/paths.js';

async function main(): Promise<void> {
  const paths = droverPaths();
  // No umask change: app masters and workers inherit this process's umask, and
  // apps must create files as their user expects. Modes are set explicitly instead.
  ensureHome(paths);
  const daemon = new Daemon(paths);
  void daemon.exited.then((code) => process.exit(code));
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.on(signal, () => {
      log(`${signal}: exiting; app masters keep running`);
      void daemon.shutdown(0);
    });
  }
  if (!(await daemon.boot())) {
    log(`daemon ${process.pid}: another daemon is running; exiting`);
    process.exit(0);
  }
}

process.on('uncaughtException', (err) => {
  log(`uncaught exception: ${err.stack ?? err.message}`);
  process.exit(1);
});

main().catch((err) => {
  log(formatError(err));
  process.exit(isDroverError(err) ? err.exitCode : 1);
});
