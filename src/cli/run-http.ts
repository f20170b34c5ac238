// `drover run --metrics-port`: the app master's HTTP endpoint, started before
// the workers. The modules behind it (prom-client included) load only when
// the flag is given.
import { parseOptions } from '../config/resolve.js';
import type { SuperviseOptions } from '../config/schema.js';
import type { AppSupervisor as Supervisor } from '../runtime/supervisor.js';
import type { AppEndpoint } from '../http/serve-app.js';

export async function startAppEndpoint(supervisor: Supervisor, options: SuperviseOptions): Promise<AppEndpoint | undefined> {
  const parsed = parseOptions(options, 'command line');
  if (parsed.metricsPort === undefined) return undefined;
  const { appHttpSettings } = await import('../http/options.js');
  const { serveApp } = await import('../http/serve-app.js');
  const settings = appHttpSettings(parsed)!;
  const app = await serveApp(supervisor, settings, { minReady: parsed.minReady, perWorker: parsed.perWorkerMetrics, intervalMs: parsed.metricsIntervalMs });
  const where = settings.token.source === 'file' ? `token in ${settings.token.file}` : 'token as given';
  process.stderr.write(`drover: ${supervisor.spec.name}: metrics and health on ${app.endpoint.origin} (/metrics /livez /readyz; ${where})\n`);
  return app;
}
