// Loaded first by main.ts, for its side effects:
// - a plain `drover list` / `drover ls` [--json], the command run most often,
//   is answered here when a daemon runs (list-fast.ts), before anything else
//   loads, and the process exits; else it goes on to the full command below;
// - a command that will need the daemon starts it now, while the rest of the
//   CLI loads (prestart-spawn.ts). Not for --help, -h, --version, a typo,
//   logs or kill, and not for a start of a config file (a config is validated
//   before anything starts: a rejected one must not even start the daemon).
// main.ts loads program.ts (commander and every command's options) only after
// this, so `list` never loads it, nor actions.ts (list-command.ts).
import { isPlainList } from './list-argv.js';

const argv = process.argv.slice(2);
const list = isPlainList(argv);
if (list) {
  const { fastList } = await import('./list-fast.js');
  const code = await fastList(list);
  if (code !== undefined) process.exit(code);
}

// Once per process: the `drover` bin has done it already for `start`.
(await import('./prestart-spawn.js')).prestartFor(argv);

if (list) {
  const [{ listCommand }, { exitCodeOf, formatError }] = await Promise.all([import('./list-command.js'), import('../errors.js')]);
  let code: number;
  try {
    code = await listCommand(list);
  } catch (err) {
    process.stderr.write(`${formatError(err)}\n`);
    code = exitCodeOf(err);
  }
  process.exit(code);
}
