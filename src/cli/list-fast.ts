// `drover list` / `drover ls` [--json] against a daemon that runs, with as
// little loaded as answering takes: the control client, the paths and the
// renderer. The `drover` bin (bin.cts) runs it as CommonJS (dist/cjs), which
// spares Node 20 its ESM loader (~15 ms, issue 17); prestart.ts runs it for
// dist/cli/main.js.
//
// Contract: it reports nothing it did not get from the daemon. When it cannot
// connect (no daemon, a home or socket that fails the trust checks), it
// returns undefined and the caller runs the full command (list-command.ts),
// which starts the daemon or says what is wrong, with the same messages and
// exit codes as ever. Once connected, an error is the command's own
// (formatError, exitCodeOf: the same as every other path).
import { droverPaths } from '../control/paths.js';
import type { ControlClient } from '../control/client.js';
import type { DaemonCommands } from '../control/commands.js';
import { exitCodeOf, formatError } from '../errors.js';
import { checkHomeTrust } from '../platform/home-trust.js';
import { LIST_TIMEOUT_MS } from './list-argv.js';
import { connectRunningDaemon } from './daemon-socket.js';
import { renderList } from './list-render.js';
import { stdoutColor, writeStdout } from './output.js';

/** The exit status, or undefined: not answered, run the full command. */
export async function fastList(options: { json: boolean }): Promise<number | undefined> {
  let client: ControlClient<DaemonCommands>;
  try {
    const paths = droverPaths();
    // hook (issue 15): the same check as connectDaemon, before anything is sent.
    checkHomeTrust(paths.home, [paths.apps, paths.logs]);
    client = await connectRunningDaemon(paths);
  } catch {
    return undefined;
  }
  try {
    const rows = await client.call('list', {}, { timeoutMs: LIST_TIMEOUT_MS });
    writeStdout(renderList(rows, { ...options, color: !options.json && stdoutColor() }));
    return 0;
  } catch (err) {
    process.stderr.write(`${formatError(err)}\n`);
    return exitCodeOf(err);
  } finally {
    client.close();
  }
}
