// What `drover state <app> get|set|delete|list|watch [key] [value]` does (loaded when it runs): the shared
// state store of an app the daemon runs, through the app master's own control
// socket (DROVER_HOME/apps/<app>.sock), so it works while the daemon is away.
import { DroverError, exitCodeOf, formatError } from '../errors.js';
import { appSocket, droverPaths } from '../control/paths.js';
import { ControlClient } from '../control/client.js';
import { STATE_OPS, type MasterCommands, type StateOp } from '../control/commands.js';
import type { Entry, WatchEvent } from '../state/types.js';

/** A value on the command line: JSON when it parses as JSON, else the text as a string. */
function parseValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

const show = (v: unknown) => JSON.stringify(v);

function line(e: Entry): string {
  return `${e.key}\tv${e.version}\trev ${e.rev}\t${show(e.value)}`;
}

function describeEvent(ev: WatchEvent): string {
  if (ev.type === 'reset') return `reset at rev ${ev.rev}: ${ev.entries.length} entries${ev.entries.map((e) => `\n  ${line(e)}`).join('')}`;
  if (ev.type === 'delete') return `delete ${ev.entry.key} (rev ${ev.rev})`;
  return `put ${line(ev.entry)}`;
}

async function connect(app: string): Promise<ControlClient<MasterCommands>> {
  try {
    return await ControlClient.connect<MasterCommands>(appSocket(droverPaths(), app), { timeoutMs: 5_000, lostCode: 'DROVER_E_MASTER_DIED', lostMessage: `the app master of ${app} exited before it answered` });
  } catch {
    throw new DroverError('DROVER_E_APP_NOT_FOUND', `no running app named ${app} (its master's socket does not answer): check the name with drover list`);
  }
}

export async function runStateCommand(app: string, op: string, key: string | undefined, value: string | undefined, opts: { json?: boolean; ifVersion?: string }): Promise<number> {
  const out = (s: string) => process.stdout.write(`${s}\n`);
  try {
    if (!(STATE_OPS as readonly string[]).includes(op)) throw new DroverError('DROVER_E_USAGE', `unknown state operation ${JSON.stringify(op)}: one of ${STATE_OPS.join(', ')}`);
    if ((op === 'get' || op === 'set' || op === 'delete') && key === undefined) throw new DroverError('DROVER_E_USAGE', `drover state ${app} ${op} needs a key`);
    if (op === 'set' && value === undefined) throw new DroverError('DROVER_E_USAGE', `drover state ${app} set ${key} needs a value (JSON, or text)`);
    let ifVersion: number | undefined;
    if (opts.ifVersion !== undefined) {
      if (!/^\d+$/.test(opts.ifVersion)) throw new DroverError('DROVER_E_INVALID_OPTION', `--if-version expects a whole number, got ${JSON.stringify(opts.ifVersion)}`);
      ifVersion = Number(opts.ifVersion);
    }
    const client = await connect(app);
    try {
      const args = { op: op as StateOp, key, value: value === undefined ? undefined : parseValue(value), ifVersion };
      if (op === 'watch') {
        const done = client.call('state', args, { onEvent: (_event, ev) => out(opts.json ? show(ev) : describeEvent(ev as WatchEvent)) });
        // Until Ctrl-C (or the master goes away).
        const interrupted = new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
        await Promise.race([done, interrupted]);
        return 0;
      }
      const result = await client.call('state', args);
      if (opts.json) out(show(result));
      else if (op === 'get') out(result === null ? `${key}: not found` : show((result as Entry).value));
      else if (op === 'set') out(line(result as Entry));
      else if (op === 'delete') out((result as { deleted: boolean }).deleted ? `deleted ${key}` : `${key}: not found`);
      else for (const e of result as Entry[]) out(line(e));
      return op === 'get' && result === null ? 1 : 0;
    } finally {
      client.destroy();
    }
  } catch (err) {
    process.stderr.write(`${formatError(err)}\n`);
    return exitCodeOf(err);
  }
}

