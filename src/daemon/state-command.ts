// `drover state <app> …` on the app master's control socket: command 'state',
// args {op, key?, value?, ifVersion?}. watch streams 'state' events until the
// client disconnects.
import { DroverError } from '../errors.js';
import type { StateClient } from '../state/client.js';
import type { StateApi } from '../state/types.js';
import { STATE_OPS, type StateCommandArgs } from '../control/commands.js';
import type { RequestContext } from '../control/server.js';
import { assertNever } from '../core/assert-never.js';

function key(args: StateCommandArgs): string {
  if (typeof args.key !== 'string') throw new DroverError('DROVER_E_USAGE', `drover state <app> ${String(args.op)} needs a key`);
  return args.key;
}

export async function stateCommand(store: (StateApi & Pick<StateClient, 'list'>) | undefined, app: string, args: StateCommandArgs, ctx: RequestContext): Promise<unknown> {
  if (!store) throw new DroverError('DROVER_E_STATE_UNAVAILABLE', `${app} is not running, so its state store is closed: start it again (drover start ${app})`);
  const ifVersion = typeof args.ifVersion === 'number' ? args.ifVersion : undefined;
  const op = args.op;
  // From the wire: checked before the exhaustive switch.
  if (!(STATE_OPS as readonly string[]).includes(op)) throw new DroverError('DROVER_E_USAGE', `unknown state operation ${JSON.stringify(String(op))}: one of ${STATE_OPS.join(', ')}`);
  switch (op) {
    case 'get':
      return (await store.get(key(args))) ?? null;
    case 'set':
      return store.set(key(args), args.value, { ifVersion, timeoutMs: 10_000 });
    case 'delete':
      return { deleted: await store.delete(key(args), { ifVersion, timeoutMs: 10_000 }) };
    case 'list':
      return store.list(typeof args.key === 'string' ? args.key : '*');
    case 'watch':
      return new Promise<null>((resolve) => {
        const stop = store.watch(typeof args.key === 'string' ? args.key : '*', (ev) => ctx.emit('state', ev));
        ctx.signal.addEventListener('abort', () => {
          stop();
          resolve(null);
        });
      });
    default:
      return assertNever(op, 'state operation');
  }
}
