// The daemon's HTTP endpoint: /metrics, /livez, /readyz for all its apps, the
// same endpoints as `drover run --metrics-port`. Each app master answers on
// its own unix socket (master-socket.ts); the daemon asks them all, each with
// a deadline, and a master that does not answer is left out of that scrape
// (counted in drover_daemon_collect_errors_total{app}), never failing it.
import { rmSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import type { DroverPaths } from '../control/paths.js';
import { loadProm } from '../metrics/prom.js';
import { mergeSnapshots } from '../metrics/merge.js';
import { ProcessMetrics } from '../metrics/process-metrics.js';
import { renderJson, wantsOpenMetrics, withoutClashes } from '../metrics/render.js';
import type { MetricJson } from '../metrics/snapshot.js';
import type { HealthAnswer } from './health.js';
import { DaemonSource } from './dashboard/daemon-source.js';
import { dashboardRoutes } from './dashboard/routes.js';
import { askMaster, masterSockets } from './masters.js';
import type { HttpSettings } from './options.js';
import { healthRoutes } from './serve-app.js';
import { send, startHttpServer, type HttpEndpoint } from './server.js';

/** Where the daemon says it serves HTTP (for `drover dashboard`): DROVER_HOME/http.json. */
export function httpInfoFile(paths: DroverPaths): string {
  return path.join(paths.home, 'http.json');
}

export async function serveDaemon(paths: DroverPaths, settings: HttpSettings): Promise<HttpEndpoint> {
  const prom = await loadProm();
  const own = new prom.Registry();
  // The daemon's process metrics, read at most once a second (process-metrics.ts says why not prom-client's defaults).
  const processMetrics = new ProcessMetrics('drover_daemon_', {}, 1_000);
  const errors = new prom.Counter({ name: 'drover_daemon_collect_errors_total', help: 'Scrapes in which an app master did not answer in time.', labelNames: ['app'], registers: [own] });

  const metrics = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const answers = await Promise.all(
      masterSockets(paths).map(({ name, socket }) =>
        askMaster<{ families: MetricJson[] }>(socket, '/metrics.json').then(
          (a) => a.families,
          (err: NodeJS.ErrnoException) => {
            // A socket file nobody listens on: that master is gone (it is no app any more).
            if (err.code !== 'ECONNREFUSED' && err.code !== 'ENOENT') errors.inc({ app: name });
            return undefined;
          },
        ),
      ),
    );
    // Apps carry distinct `app` labels, so merging joins their series.
    const apps = mergeSnapshots(answers.filter((a): a is MetricJson[] => a !== undefined));
    const families = withoutClashes([...((await own.getMetricsAsJSON()) as unknown as MetricJson[]), ...processMetrics.families()], apps);
    const page = renderJson(families, wantsOpenMetrics(req.headers.accept));
    send(res, 200, page.body, page.contentType);
  };

  const health = async (): Promise<{ live: HealthAnswer; ready: HealthAnswer }> => {
    const apps = await Promise.all(
      masterSockets(paths).map(({ name, socket }) =>
        askMaster<{ ready: HealthAnswer }>(socket, '/health.json').then(
          (h) => ({ name, ready: h.ready }),
          (err: NodeJS.ErrnoException) => (err.code === 'ECONNREFUSED' || err.code === 'ENOENT' ? undefined : { name, ready: { ok: false, reason: `no answer: ${err.message}` } }),
        ),
      ),
    );
    const known = apps.filter((a): a is { name: string; ready: HealthAnswer } => a !== undefined);
    const failing = known.filter((a) => !a.ready.ok);
    const list = (xs: typeof known) => xs.map((a) => `${a.name}: ${a.ready.reason}`).join('; ');
    return {
      live: { ok: true, reason: 'the daemon loop is alive' },
      ready: failing.length > 0 ? { ok: false, reason: list(failing) } : { ok: true, reason: known.length === 0 ? 'no apps' : list(known) },
    };
  };

  const dashboard = dashboardRoutes(new DaemonSource(paths), [settings.token.token]);
  const endpoint = await startHttpServer({
    host: settings.host,
    port: settings.port,
    token: settings.token.token,
    healthPublic: settings.healthPublic,
    routes: [{ method: 'GET', path: '/metrics', handle: metrics }, ...healthRoutes(health), ...dashboard.routes],
  });
  const info = httpInfoFile(paths);
  writeFileSync(info, `${JSON.stringify({ pid: process.pid, origin: endpoint.origin, port: endpoint.port, host: endpoint.host })}\n`, { mode: 0o600 });
  return {
    ...endpoint,
    close: async () => {
      dashboard.close();
      rmSync(info, { force: true });
      await endpoint.close();
    },
  };
}
