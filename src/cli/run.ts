// `drover run`: one app master in the foreground (containers, systemd, tests).
import { resolveSpec } from '../config/resolve.js';
import type { SuperviseOptions } from '../config/schema.js';
import { installMasterSignals } from '../control/signals.js';
import { workerCount } from '../core/wording.js';
import { DroverError, formatError } from '../errors.js';
import { formatAddress, Supervisor } from '../supervise.js';

export async function runForeground(options: SuperviseOptions): Promise<number> {
  const spec = resolveSpec(options, 'command line');
  const supervisor = new Supervisor(spec, { source: options });
  const uninstall = installMasterSignals(() => supervisor);

  supervisor.ready.then(
    (info) => {
      const where = info.addresses.length > 0 ? `, listening on ${info.addresses.map(formatAddress).join(', ')}` : '';
      process.stderr.write(`drover: ${spec.name}: ${workerCount(info.workers)} ready in ${Math.round(info.durationMs)} ms${where}\n`);
    },
    () => {},
  );
  supervisor.start();
  const outcome = await supervisor.done;
  uninstall();
  if (outcome.error) process.stderr.write(`${formatError(new DroverError(outcome.error.code, outcome.error.message))}\n`);
  return outcome.exitCode;
}
