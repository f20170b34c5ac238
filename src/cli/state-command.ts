// `drover state <app> get|set|delete|list|watch [key] [value]`: its commander
// definition; what it does is in state-action.ts, loaded when it runs.
import { Option, type Command } from 'commander';

type SetResult = (p: Promise<number>) => void;

export function addStateCommand(program: Command, setResult: SetResult): void {
  program
    .command('state')
    .description('the shared state store of a running app: get|set|delete|list|watch [key] [value]')
    .argument('<app>', 'app name (drover list)')
    .argument('<op>', 'get | set | delete | list | watch')
    .argument('[key]', 'a key; for list and watch a key or a prefix ending in * (default: every key)')
    .argument('[value]', 'for set: JSON, or text (stored as a string)')
    .addOption(new Option('--json', 'machine-readable output (JSON; watch: one event a line)'))
    .addOption(new Option('--if-version <n>', 'set/delete only if the key is at this version (0: does not exist)'))
    .exitOverride()
    .configureOutput({ writeErr: () => {}, outputError: () => {} })
    .action((app: string, op: string, key: string | undefined, value: string | undefined, opts: { json?: boolean; ifVersion?: string }) => setResult(import('./state-action.js').then((m) => m.runStateCommand(app, op, key, value, opts))));
}
