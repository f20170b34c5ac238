// The public handle: supervise() and the Supervisor it returns. This is where
// options become an AppSpec (config/), before the shell (runtime/) sees them:
// the shell takes specs only, so it never imports config.
import { resolveSpec } from './config/resolve.js';
import type { SuperviseOptions } from './config/schema.js';
import type { AppSpec } from './core/types.js';
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

  constructor(spec: AppSpec, options: SupervisorOptions = {}) {
    const { source, ...runtime } = options;
    const origin = { source };
    super(spec, source ? { ...runtime, respec: () => resolveSpec(origin.source!, 'options') } : runtime);
    this.origin = origin;
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
  const supervisor = new Supervisor(resolveSpec(options), { source: options, ...runtime });
  queueMicrotask(() => supervisor.start());
  return supervisor;
}

export { formatAddress } from './runtime/listen-broker.js';
