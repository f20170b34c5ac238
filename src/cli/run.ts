// `drover run`: one app master in the foreground (containers, systemd, tests).
import { resolveSpec } from '../config/resolve.js';
import type { SuperviseOptions } from '../config/schema.js';
import { installMasterSignals } from '../control/signals.js';
import { workerCount } from '../core/wording.js';
import { formatAddress, Supervisor } from '../supervise.js';
// platform hook (issue 14): systemd notify/watchdog, PID 1.
import { attachPlatform, prelude, say, startError } from '../platform/run-hooks.js';
import { startAppEndpoint } from './run-http.js';
import { assertPortFree } from '../runtime/port-check.js';

export async function runForeground(options: SuperviseOptions): Promise<number> {
  // platform hook (issue 14): as PID 1, drover runs under tini; this process only waits for it.
  const reaped = await prelude();
  if (reaped !== undefined) return reaped;
  let spec;
  try {
    spec = resolveSpec(options, 'command line');
    await assertPortFree(spec);
  } catch (err) {
    return startError(err); // platform hook (issue 14): a JSON line in a container, else thrown on
  }
  const supervisor = new Supervisor(spec, { source: options });
  const platform = attachPlatform(supervisor); // platform hook (issue 14)
  // Observability (issue 13): /metrics, /livez, /readyz when --metrics-port is set; loaded only then.
  const http = await startAppEndpoint(supervisor, options);
  // A stop signal makes /readyz answer 503 before the drain starts.
  const uninstall = installMasterSignals(() => supervisor, { onStop: () => http?.markDraining() });

  supervisor.ready.then(
    (info) => {
      const where = info.addresses.length > 0 ? `, listening on ${info.addresses.map(formatAddress).join(', ')}` : '';
      say('info', `${spec.name}: ${workerCount(info.workers)} ready in ${Math.round(info.durationMs)} ms${where}`);
    },
    () => {},
  );
  supervisor.start();
  const outcome = await supervisor.done;
  uninstall();
  await http?.close();
  await platform.close(); // platform hook (issue 14)
  if (outcome.error) say('error', outcome.error.message, outcome.error.code);
  return outcome.exitCode;
}
