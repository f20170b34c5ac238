// `drover signal-reload <pid>`: the ExecReload= of a `drover run` unit on
// systemd < 253. Sends SIGHUP (drover's rolling reload) to the master and
// waits until that reload settled, from the master's run-state file
// (run-state.ts): exit 0 when the new workers serve, DROVER_E_RELOAD_FAILED
// when a replacement failed (the old workers keep serving), and
// DROVER_E_RELOAD_REFUSED when a reload was already running.
//
// Known limit: if another trigger's reload (a file watch, cron) settles between
// the SIGHUP and this one's, its outcome is the one reported.
import { DroverError } from '../errors.js';
import { readRunState, runStatePath } from './run-state.js';
import { pidAlive } from './pid-alive.js';

const POLL_MS = 100;

export async function signalReload(pid: number, options: { timeoutMs: number; env?: NodeJS.ProcessEnv }): Promise<string> {
  const file = runStatePath(options.env);
  if (!file) {
    throw new DroverError(
      'DROVER_E_NO_RUN_STATE',
      'RUNTIME_DIRECTORY is not set, so there is no state of the drover run master to wait on: give the unit a RuntimeDirectory= (drover generate systemd does), or send SIGHUP without waiting',
    );
  }
  const before = readRunState(file);
  if (!before || before.pid !== pid) {
    throw new DroverError('DROVER_E_NO_RUN_STATE', `${file} ${before ? `belongs to pid ${before.pid}, not ${pid}` : 'does not exist or cannot be read'}: is pid ${pid} the drover run master of this unit ($MAINPID)?`);
  }
  process.kill(pid, 'SIGHUP');
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const now = readRunState(file);
    if (now && now.pid === pid && now.settled > before.settled) {
      const last = now.last;
      if (last?.outcome === 'failed') throw new DroverError('DROVER_E_RELOAD_FAILED', `reload failed, the previous workers keep serving: ${last.message ?? ''}`);
      if (last?.outcome === 'refused') throw new DroverError('DROVER_E_RELOAD_REFUSED', `reload refused: ${last.message ?? ''}`);
      return `reload ${last?.id ?? ''} done`.replace('  ', ' ');
    }
    if (!pidAlive(pid)) throw new DroverError('DROVER_E_MASTER_DIED', `the drover run master (pid ${pid}) exited during the reload`);
    if (Date.now() >= deadline) throw new DroverError('DROVER_E_RELOAD_FAILED', `the reload did not settle within ${options.timeoutMs} ms; it may still be running`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
