// `drover run`: one app master in the foreground (containers, systemd, tests).
import { resolveSpec } from '../config/resolve.js';
import type { SuperviseOptions } from '../config/schema.js';
import { DroverError, formatError } from '../errors.js';
import { formatAddress, Supervisor } from '../runtime/supervisor.js';
import { startAppEndpoint } from './run-http.js';

export async function runForeground(options: SuperviseOptions): Promise<number> {
  const spec = resolveSpec(options, 'command line');
  const supervisor = new Supervisor(spec, { source: options });
  // Observability (issue 13): /metrics, /livez, /readyz when --metrics-port is set; loaded only then.
  const http = await startAppEndpoint(supervisor, options);

  let stops = 0;
  const onStop = (signal: NodeJS.Signals) => {
    stops++;
    http?.markDraining();
    // The second signal forces: SIGKILL every worker now.
    void supervisor.stop({ force: stops > 1 || signal === 'SIGQUIT' });
  };
  const handlers: Array<[NodeJS.Signals, () => void]> = [
    ['SIGTERM', () => onStop('SIGTERM')],
    ['SIGINT', () => onStop('SIGINT')],
    ['SIGQUIT', () => onStop('SIGQUIT')],
    ['SIGTTIN', () => supervisor.scale(supervisor.desired + 1)],
    ['SIGTTOU', () => supervisor.scale(Math.max(1, supervisor.desired - 1))],
    ['SIGHUP', () => supervisor.requestReload('SIGHUP')],
  ];
  for (const [signal, handler] of handlers) process.on(signal, handler);

  supervisor.ready.then(
    (info) => {
      const where = info.addresses.length > 0 ? `, listening on ${info.addresses.map(formatAddress).join(', ')}` : '';
      process.stderr.write(`drover: ${spec.name}: ${info.workers} workers ready in ${Math.round(info.durationMs)} ms${where}\n`);
    },
    () => {},
  );
  supervisor.start();
  const outcome = await supervisor.done;
  for (const [signal, handler] of handlers) process.off(signal, handler);
  await http?.close();
  if (outcome.error) process.stderr.write(`${formatError(new DroverError(outcome.error.code, outcome.error.message))}\n`);
  return outcome.exitCode;
}
