// `drover run`: one app master in the foreground (containers, systemd, tests).
import { resolveSpec } from '../config/resolve.js';
import type { SuperviseOptions } from '../config/schema.js';
import { installMasterSignals } from '../control/signals.js';
import { DroverError, formatError } from '../errors.js';
import { formatAddress, Supervisor } from '../supervise.js';
import { startAppEndpoint } from './run-http.js';

export async function runForeground(options: SuperviseOptions): Promise<number> {
  const spec = resolveSpec(options, 'command line');
  const supervisor = new Supervisor(spec, { source: options });
  // Observability (issue 13): /metrics, /livez, /readyz when --metrics-port is set; loaded only then.
  const http = await startAppEndpoint(supervisor, options);
  // A stop signal makes /readyz answer 503 before the drain starts.
  const uninstall = installMasterSignals(() => supervisor, { onStop: () => http?.markDraining() });

  supervisor.ready.then(
    (info) => {
      const where = info.addresses.length > 0 ? `, listening on ${info.addresses.map(formatAddress).join(', ')}` : '';
      process.stderr.write(`drover: ${spec.name}: ${info.workers} workers ready in ${Math.round(info.durationMs)} ms${where}\n`);
    },
    () => {},
  );
  supervisor.start();
  const outcome = await supervisor.done;
  uninstall();
  await http?.close();
  if (outcome.error) process.stderr.write(`${formatError(new DroverError(outcome.error.code, outcome.error.message))}\n`);
  return outcome.exitCode;
}
