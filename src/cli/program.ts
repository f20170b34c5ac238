// The drover command line program (commander), loaded by main.ts after
// prestart.ts. Commands set an exit code; only this module exits.
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import type { SuperviseOptions } from '../config/schema.js';
import { DroverError, exitCodeOf, formatError } from '../errors.js';
import { OPTION_TABLE, type FlagSpec } from './option-table.js';
import { addDaemonCommands } from './daemon-commands.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

function addOptions(command: Command): void {
  for (const [key, spec] of Object.entries(OPTION_TABLE) as Array<[string, FlagSpec]>) {
    const option: Option = new Option(spec.flags, spec.description).argParser((raw: string, prev: unknown): unknown => spec.parse(raw, prev, option.long ?? key));
    command.addOption(option);
  }
}

/**
 * The program for `argv`. For `drover start` (a warm start's critical path,
 * issue 17) only the daemon's commands are built: commander dispatches on the
 * first argument, so `run`, its ~50 options and the platform, state and
 * dashboard commands (and their modules) change nothing there, and
 * `drover start --help` or a bad option of start reads the same. Any other
 * first argument (a typo's suggestion, `help`, `--help`) gets every command.
 */
async function buildProgram(argv: readonly string[], setResult: (p: Promise<number>) => void): Promise<Command> {
  const program = new Command('drover')
    .description('process manager and cluster supervisor for Node.js')
    .version(pkg.version, '-v, --version')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ writeErr: () => {}, outputError: () => {} });
  if (argv[0] === 'start') {
    addDaemonCommands(program, setResult);
    return program;
  }

  const run = program
    .command('run')
    .description('supervise an app in the foreground: drover run <script> [options] [-- app args]')
    .argument('<script>', 'the app: a Node script, or any executable (run without IPC)')
    .argument('[args...]', 'arguments for the app (after --)')
    .exitOverride()
    .configureOutput({ writeErr: () => {}, outputError: () => {} })
    .action((script: string, args: string[], opts: Record<string, unknown>) => {
      const options = { ...opts, script, args: [...((opts.args as string[] | undefined) ?? []), ...args] } as SuperviseOptions;
      // Loaded on use: the supervisor and its dependencies cost ~150 ms that `drover list` must not pay.
      setResult(import('./run.js').then((m) => m.runForeground(options)));
    });
  addOptions(run);
  addDaemonCommands(program, setResult);
  // platform hook (issue 14): run --container, generate, startup.
  const [{ registerPlatformCommands }, { addStateCommand }, { addDashboardCommand }] = await Promise.all([
    import('./platform-commands.js'),
    import('./state-command.js'),
    import('./dashboard-command.js'),
  ]);
  registerPlatformCommands(program, run, setResult);
  addStateCommand(program, setResult);
  addDashboardCommand(program, setResult);
  return program;
}

async function main(argv: string[]): Promise<number> {
  let result: Promise<number> | undefined;
  const program = await buildProgram(argv, (p) => (result = p));
  try {
    await program.parseAsync(argv, { from: 'user' });
    if (!result) {
      program.outputHelp();
      return argv.length === 0 ? 0 : 64;
    }
    return await result;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      const text = err.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ');
      const command = argv.find((a) => !a.startsWith('-')) ?? '';
      const known = program.commands.some((c) => c.name() === command || c.aliases().includes(command));
      const help = known ? `drover ${command} --help` : 'drover --help';
      process.stderr.write(`${formatError(new DroverError('DROVER_E_USAGE', `${text}: see ${help}`))}\n`);
      return exitCodeOf(new DroverError('DROVER_E_USAGE', text));
    }
    process.stderr.write(`${formatError(err)}\n`);
    return exitCodeOf(err);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`${formatError(err)}\n`);
    process.exit(1);
  },
);
