// The commands that go through the daemon (start, list, logs, ...): their
// commander definitions only. What they do is in actions.ts, imported when a
// command runs, so `drover --help`, `--version` and a typo load nothing else.
import { Option, type Command } from 'commander';
import { LOG_OPTION_TABLE, OPTION_TABLE, type FlagSpec } from './option-table.js';
import type * as Actions from './actions.js';

type SetResult = (p: Promise<number>) => void;

const actions = (): Promise<typeof Actions> => import('./actions.js');

function quiet(command: Command): Command {
  return command.exitOverride().configureOutput({ writeErr: () => {}, outputError: () => {} });
}

const json = () => new Option('--json', 'machine-readable output (JSON)');

/**
 * Every option of the option table, except --env: on `drover start` it takes
 * NAME (selects env_NAME of a config file) or KEY=VALUE (sets a variable).
 */
function addStartOptions(command: Command): void {
  for (const [key, spec] of Object.entries({ ...OPTION_TABLE, ...LOG_OPTION_TABLE }) as Array<[string, FlagSpec]>) {
    if (key === 'env') continue;
    const option: Option = new Option(spec.flags, spec.description).argParser((raw: string, prev: unknown): unknown => spec.parse(raw, prev, option.long ?? key));
    command.addOption(option);
  }
  command.addOption(
    new Option('--env <NAME|KEY=VALUE>', 'a config file: use env_NAME over env; KEY=VALUE: an environment variable for the workers (repeatable)').argParser(
      (raw: string, prev: unknown): unknown => {
        const p = (prev as { name?: string; pairs?: Record<string, string> } | undefined) ?? {};
        const eq = raw.indexOf('=');
        if (eq > 0) return { ...p, pairs: { ...p.pairs, [raw.slice(0, eq)]: raw.slice(eq + 1) } };
        return { ...p, name: raw };
      },
    ),
  );
}

export function addDaemonCommands(program: Command, setResult: SetResult): void {
  const start = quiet(
    program
      .command('start')
      .description('start an app (a script) or the apps of a config file, under the daemon')
      .argument('<script|config>', 'a Node script or executable, or drover.config.* / ecosystem.config.*')
      .argument('[args...]', 'arguments for the app (after --)')
      .addOption(json())
      .action((target: string, args: string[], opts: Record<string, unknown>) => {
        const { env, ...rest } = opts as { env?: { name?: string; pairs?: Record<string, string> } };
        setResult(actions().then((a) => a.startCommand(target, args, { ...rest, envName: env?.name, envPairs: env?.pairs })));
      }),
  );
  addStartOptions(start);

  const targets = '<apps...>';
  const targetHelp = 'app names, config files, or all';
  quiet(
    program
      .command('stop')
      .description('stop apps (they stay in the list; drover restart starts them again)')
      .argument(targets, targetHelp)
      .option('--force', 'SIGKILL the workers now instead of draining them')
      .addOption(json())
      .action((t: string[], o: { json?: boolean; force?: boolean }) => setResult(actions().then((a) => a.stopCommand('stop', t, o)))),
  );
  quiet(
    program
      .command('delete')
      .alias('del')
      .description('stop apps and remove them from the list')
      .argument(targets, targetHelp)
      .option('--force', 'SIGKILL the workers now instead of draining them')
      .addOption(json())
      .action((t: string[], o: { json?: boolean; force?: boolean }) => setResult(actions().then((a) => a.stopCommand('delete', t, o)))),
  );
  quiet(
    program
      .command('restart')
      .description('stop apps and start them again (a new app master); a config file is re-read first; drover reload has no downtime')
      .argument(targets, targetHelp)
      .option('--env <name>', 'a config file: re-read it with env_<name> over env')
      .option('--only <apps>', 'a config file: only these of its apps (comma-separated)')
      .addOption(json())
      .action((t: string[], o: Actions.ApplyFlags) => setResult(actions().then((a) => a.restartCommand(t, o)))),
  );
  quiet(
    program
      .command('reload')
      .description('rolling reload without downtime: each worker is replaced once its successor is ready; a config file is re-read and its changes applied (a restart where a reload cannot make them)')
      .argument(targets, targetHelp)
      .option('--env <name>', 'a config file: re-read it with env_<name> over env')
      .option('--only <apps>', 'a config file: only these of its apps (comma-separated)')
      .addOption(json())
      .action((t: string[], o: Actions.ApplyFlags) => setResult(actions().then((a) => a.reloadCommand(t, o)))),
  );
  quiet(
    program
      .command('scale')
      .description('set the number of workers of an app')
      .argument('<app>', 'app name')
      .argument('<n>', 'worker count')
      .option('--force', 'allow more than 4 workers per core')
      .option('--no-wait', 'return at once instead of waiting for the new workers to be ready')
      .addOption(json())
      .action((app: string, n: string, o: Actions.ScaleFlags) => setResult(actions().then((a) => a.scaleCommand(app, n, o)))),
  );
  quiet(
    program
      .command('list')
      .alias('ls')
      .description('the apps: workers ready/desired, restarts, uptime, CPU, memory, status')
      .addOption(json())
      .action((o: { json?: boolean }) => setResult(actions().then((a) => a.listCommand(o)))),
  );
  quiet(
    program
      .command('describe')
      .alias('show')
      .description('everything about one app (secrets redacted)')
      .argument('<app>', 'app name')
      .addOption(json())
      .action((app: string, o: { json?: boolean }) => setResult(actions().then((a) => a.describeCommand(app, o)))),
  );
  quiet(
    program
      .command('logs')
      .description("an app's log (all apps without a name)")
      .argument('[app]', 'app name')
      .option('--lines <n>', 'lines to show from the end', '15')
      .option('-f, --follow', 'keep printing new lines')
      .option('--err', 'only stderr')
      .option('--out', 'only stdout')
      .addOption(json())
      .action((app: string | undefined, o: Record<string, unknown>) => setResult(actions().then((a) => a.logsCommand(app, o)))),
  );
  quiet(
    program
      .command('signal')
      .description("send a signal to an app's workers")
      .argument('<signal>', 'e.g. SIGUSR2')
      .argument(targets, targetHelp)
      .addOption(json())
      .action((sig: string, t: string[], o: { json?: boolean }) => setResult(actions().then((a) => a.signalCommand(sig, t, o)))),
  );
  quiet(
    program
      .command('save')
      .description('save the running apps to DROVER_HOME/dump.json (secret env values left out)')
      .addOption(json())
      .action((o: { json?: boolean }) => setResult(actions().then((a) => a.saveCommand(o)))),
  );
  quiet(
    program
      .command('resurrect')
      .description('start the saved apps')
      .addOption(json())
      .action((o: { json?: boolean }) => setResult(actions().then((a) => a.resurrectCommand(o)))),
  );
  quiet(
    program
      .command('ping')
      .description('start the daemon if needed and check that it answers')
      .addOption(json())
      .action((o: { json?: boolean }) => setResult(actions().then((a) => a.pingCommand(o)))),
  );
  quiet(
    program
      .command('kill')
      .description('stop every app and the daemon')
      .addOption(json())
      .action((o: { json?: boolean }) => setResult(actions().then((a) => a.killCommand(o)))),
  );
}
