// The public handle: supervise() and the Supervisor it returns. This is where
// options become an AppSpec (config/), before the shell (runtime/) sees them:
// the shell takes specs only, so it never imports config.
import { parseOptions, resolveSpec } from './config/resolve.js';
import type { ParsedOptions, SuperviseOptions } from './config/schema.js';
import type { AppSpec, Outcome } from './core/types.js';
import type { HttpEndpoint } from './http/server.js';
import type { AppEndpoint } from './http/serve-app.js';
import { appHttpSettings, type HttpSettings } from './http/options.js';
import { AppSupervisor, type ReloadInfo, type RuntimeOptions } from './runtime/supervisor.js';

export interface SupervisorOptions extends Omit<RuntimeOptions, 'respec'> {
  /** The options the spec came from: a reload without new options re-resolves them (env files, script, args). */
  readonly source?: SuperviseOptions;
}

/** Options from outside are validated first; a resolved spec (it has `mode`, which options never have) goes as is. */
function isSpec(next: SuperviseOptions | AppSpec): next is AppSpec {
  return 'mode' in next;
}

export class Supervisor extends AppSupervisor {
  // A reload with new options makes them the source: a later reload without
  // options (SIGHUP, watch, cron) re-resolves those, not the first ones.
  private readonly origin: { source?: SuperviseOptions };
  /**
   * With `metricsPort`: where /metrics, /livez, /readyz and the dashboard are
   * served (as `drover run --metrics-port`), once listening; undefined without it.
   * Rejects when the endpoint could not start (the supervisor then ends without
   * starting a worker: `done` and `ready` say why). Closed when the supervisor ends.
   */
  metricsEndpoint: Promise<HttpEndpoint | undefined> = Promise.resolve(undefined);
  private endpoint: Promise<AppEndpoint> | undefined;

  constructor(spec: AppSpec, options: SupervisorOptions = {}) {
    const { source, ...runtime } = options;
    const origin = { source };
    super(spec, source ? { ...runtime, respec: () => resolveSpec(origin.source!, 'options') } : runtime);
    this.origin = origin;
  }

  /**
   * Serves the endpoint, then starts the workers: it listens before the first
   * worker, so its counters miss no lifecycle event (as under drover run). Its
   * modules, prom-client included, load only here.
   */
  serveMetrics(settings: HttpSettings, parsed: ParsedOptions): void {
    const endpoint = import('./http/serve-app.js').then(async ({ serveApp }) => {
      const app = await serveApp(this, settings, { minReady: parsed.minReady, perWorker: parsed.perWorkerMetrics, intervalMs: parsed.metricsIntervalMs });
      let closing: Promise<void> | undefined;
      return { ...app, close: () => (closing ??= app.close()) };
    });
    this.endpoint = endpoint;
    this.metricsEndpoint = endpoint.then((app) => app.endpoint);
    this.metricsEndpoint.catch(() => {});
    endpoint.then(
      (app) => {
        // Ended by a give-up or a failed start too, not only by stop().
        void this.done.then(() => app.close());
        this.start();
      },
      (err: unknown) => this.abortStart(err),
    );
  }

  /** Drains and stops; with an endpoint, /readyz answers 503 from now on and the endpoint is closed before this resolves. */
  override async stop(options: { force?: boolean } = {}): Promise<Outcome> {
    const app = await this.endpoint?.catch(() => undefined);
    app?.markDraining();
    const outcome = await super.stop(options);
    await app?.close();
    return outcome;
  }

  /**
   * Rolling reload with new options (validated here: a bad one rejects before
   * anything changes), or with the original ones re-resolved when given none.
   */
  override reload(next?: SuperviseOptions | AppSpec): Promise<ReloadInfo> {
    let spec: AppSpec | undefined;
    try {
      spec = next === undefined || isSpec(next) ? next : resolveSpec(next);
    } catch (err) {
      return Promise.reject(err);
    }
    const options = next !== undefined && !isSpec(next) && this.origin.source ? next : undefined;
    return super.reload(spec).then((info) => {
      if (options) this.origin.source = options;
      return info;
    });
  }
}

/**
 * Validates the options (throws a DroverError before anything starts when they
 * are wrong), then starts the workers on the next tick, so listeners attached
 * right after this call see every lifecycle event. Await `.ready` for the first
 * start and `.done` for the end; `.stop()` drains and stops.
 */
export function supervise(options: SuperviseOptions, runtime: Omit<SupervisorOptions, 'source'> = {}): Supervisor {
  const spec = resolveSpec(options);
  // A non-loopback metricsHost without an explicit token throws here, before anything starts.
  const parsed = parseOptions(options);
  const http = appHttpSettings(parsed);
  const supervisor = new Supervisor(spec, { source: options, ...runtime });
  if (!http) {
    queueMicrotask(() => supervisor.start());
    return supervisor;
  }
  supervisor.serveMetrics(http, parsed);
  return supervisor;
}

export { formatAddress } from './runtime/listen-broker.js';
