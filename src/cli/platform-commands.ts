// The command line of the production modes (src/platform), registered by one
// call from program.ts:
//   drover run … --container          container mode without being PID 1
import type { Command } from 'commander';
import { setContainerMode } from '../platform/run-hooks.js';

export function registerPlatformCommands(program: Command, run: Command, setResult: (p: Promise<number>) => void): void {
  run.option('--container', 'container mode: JSON lines on stderr too (automatic as PID 1, where drover also runs under tini to reap zombies)');
  // `--container` is no option of supervise(): taken out of the parsed options
  // before the run action builds them (commander's opts() is its live store).
  run.hook('preAction', (_program, command) => {
    const opts = command.opts();
    if (opts.container) setContainerMode();
    delete opts.container;
  });
  void program;
  void setResult;
}
