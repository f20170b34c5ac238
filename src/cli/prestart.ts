// Loaded first by main.ts, for its side effect: a command that will need
// the daemon starts it now, while the rest of the CLI loads (see
// prestartDaemon). Not for --help, -h, --version, a typo, logs or kill, and
// not for a start of a config file (a config is validated before anything
// starts: a rejected one must not even start the daemon).
import { existsSync } from 'node:fs';
import { isConfigFileName } from '../config/names.js';
import { prestartDaemon } from './daemon-client.js';

const NEEDS_DAEMON = new Set(['start', 'list', 'ls', 'describe', 'show', 'stop', 'restart', 'reload', 'delete', 'del', 'scale', 'signal', 'save', 'resurrect', 'ping']);

const argv = process.argv.slice(2);
const [command, target] = argv;
const wantsHelp = argv.some((a) => a === '-h' || a === '--help' || a === '-v' || a === '--version');
if (command !== undefined && NEEDS_DAEMON.has(command) && !wantsHelp) {
  const plainScript = target !== undefined && /\.(m|c)?[jt]s$/.test(target) && !isConfigFileName(target) && existsSync(target);
  if (command !== 'start' || plainScript) prestartDaemon({ master: command === 'start' });
}

// `drover list` / `drover ls` [--json], the command run most often, without
// the command line program: main.ts loads program.ts (commander and every
// command's options) only after this, so `list` never loads it, nor
// actions.ts (list-command.ts).
if ((command === 'list' || command === 'ls') && argv.length <= 2 && (argv.length === 1 || argv[1] === '--json')) {
  const [{ listCommand }, { exitCodeOf, formatError }] = await Promise.all([import('./list-command.js'), import('../errors.js')]);
  let code: number;
  try {
    code = await listCommand({ json: argv[1] === '--json' });
  } catch (err) {
    process.stderr.write(`${formatError(err)}\n`);
    code = exitCodeOf(err);
  }
  process.exit(code);
}
