// The HTTP endpoint of one app master (drover run --metrics-port): /metrics,
// /livez, /readyz. Started before the workers, so no lifecycle event is missed.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppMetrics } from '../metrics/app-metrics.js';
import { wantsOpenMetrics } from '../metrics/render.js';
import type { AppSupervisor as Supervisor } from '../runtime/supervisor.js';
import { dashboardRoutes } from './dashboard/routes.js';
import { SupervisorSource } from './dashboard/supervisor-source.js';
import type { HealthAnswer } from './health.js';
import { supervisorHealth } from './supervisor-health.js';
import type { HttpSettings } from './options.js';
import { send, startHttpServer, type HttpEndpoint, type Route } from './server.js';

export interface AppEndpoint {
  readonly endpoint: HttpEndpoint;
  /** SIGTERM: /readyz answers 503 from now on, before the drain starts. */
  markDraining(): void;
  close(): Promise<void>;
}

type Health = { live: HealthAnswer; ready: HealthAnswer };

export function healthRoutes(check: () => Health | Promise<Health>): Route[] {
  const answer = (pick: 'live' | 'ready') => async (_req: IncomingMessage, res: ServerResponse, url: URL) => {
    const h = await check();
    const a = h[pick];
    const verbose = url.searchParams.has('verbose');
    const body = verbose ? `[${h.live.ok ? '+' : '-'}]master ${h.live.reason}\n[${h.ready.ok ? '+' : '-'}]workers ${h.ready.reason}\n${a.ok ? 'ok' : 'failed'}\n` : `${a.ok ? 'ok' : a.reason}\n`;
    send(res, a.ok ? 200 : 503, body);
  };
  return [
    { method: 'GET', path: '/livez', health: true, handle: answer('live') },
    { method: 'GET', path: '/readyz', health: true, handle: answer('ready') },
  ];
}


export async function serveApp(
  supervisor: Supervisor,
  settings: HttpSettings,
  options: { readonly minReady: number | undefined; readonly perWorker: boolean; readonly intervalMs?: number },
): Promise<AppEndpoint> {
  const metrics = await AppMetrics.create(supervisor, { perWorker: options.perWorker, intervalMs: options.intervalMs });
  let draining = false;
  // A handler that throws is a bug: answered 500 and reported on stderr, the master goes on.
  const onError = (err: Error) => process.stderr.write(`drover: ${supervisor.spec.name}: HTTP handler error: ${err.stack ?? err.message}\n`);
  const dashboard = dashboardRoutes(new SupervisorSource(supervisor), [settings.token.token]);
  const routes: Route[] = [
    ...dashboard.routes,
    {
      method: 'GET',
      path: '/metrics',
      handle: async (req, res) => {
        const page = await metrics.render(wantsOpenMetrics(req.headers.accept));
        send(res, 200, page.body, page.contentType);
      },
    },
    ...healthRoutes(() => supervisorHealth(supervisor, options.minReady, () => draining)),
  ];
  let endpoint: HttpEndpoint;
  try {
    endpoint = await startHttpServer({ host: settings.host, port: settings.port, token: settings.token.token, healthPublic: settings.healthPublic, routes, onError });
  } catch (err) {
    metrics.close();
    dashboard.close();
    throw err;
  }
  return {
    endpoint,
    markDraining: () => void (draining = true),
    close: async () => {
      metrics.close();
      dashboard.close();
      await endpoint.close();
    },
  };
}
