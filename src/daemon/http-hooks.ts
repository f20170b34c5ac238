// The daemon's HTTP endpoint (issue 13), kept apart from the daemon's own code:
// the daemon calls startDaemonHttp() once it listens, each app master calls
// startMasterHttp() before its workers start. Both load src/http and
// prom-client only when used.
import { rmSync } from 'node:fs';
import type { SuperviseOptions } from '../config/schema.js';
import { DroverError } from '../errors.js';
import type { HttpEndpoint } from '../http/server.js';
import type { AppSupervisor as Supervisor } from '../runtime/supervisor.js';
import type { DroverPaths } from '../control/paths.js';

type Env = Readonly<Record<string, string | undefined>>;

/** DROVER_HTTP_PORT (off when unset or empty), DROVER_HTTP_HOST (default 127.0.0.1). */
export function daemonHttpPort(env: Env): number | undefined {
  const raw = env.DROVER_HTTP_PORT;
  if (raw === undefined || raw === '') return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new DroverError('DROVER_E_INVALID_OPTION', `DROVER_HTTP_PORT=${JSON.stringify(raw)} is not a port: use 0..65535 (0 picks a free one)`);
  }
  return port;
}

export async function startDaemonHttp(paths: DroverPaths, env: Env = process.env, port = daemonHttpPort(env)): Promise<HttpEndpoint | undefined> {
  if (port === undefined) return undefined;
  const { httpSettings } = await import('../http/options.js');
  const { serveDaemon, httpInfoFile } = await import('../http/serve-daemon.js');
  const settings = httpSettings({ host: env.DROVER_HTTP_HOST || '127.0.0.1', port, token: undefined, healthPublic: env.DROVER_HTTP_HEALTH_PUBLIC === '1' }, env);
  const endpoint = await serveDaemon(paths, settings);
  process.once('exit', () => rmSync(httpInfoFile(paths), { force: true }));
  return endpoint;
}

/** The app master's socket for the daemon's endpoint; a failure is logged, never fatal to the app. */
export async function startMasterHttp(
  supervisor: Supervisor,
  paths: DroverPaths,
  name: string,
  options: SuperviseOptions,
  log: { readonly line: (text: string) => void; readonly stats: () => { readonly dropped: number } },
  env: Env = process.env,
): Promise<void> {
  try {
    const { masterHttpSocket, serveMasterSocket } = await import('../http/master-socket.js');
    await serveMasterSocket(supervisor, masterHttpSocket(paths.apps, name), {
      eager: Boolean(env.DROVER_HTTP_PORT),
      minReady: options.minReady,
      perWorker: options.perWorkerMetrics === true,
      intervalMs: options.metricsIntervalMs,
      logStats: log.stats,
    });
  } catch (err) {
    log.line(`metrics endpoint socket not available: ${(err as Error).message}`);
  }
}
