// The store's options (stateBackend, stateUrl, stateDir, stateNamespace) resolved to a StateSpec.
import path from 'node:path';
import { DroverError } from '../errors.js';
import { droverPaths } from '../control/paths.js';
import type { StateSpec } from '../state/types.js';
import type { StateBackendName } from '../core/enums.js';


export interface StateOptions {
  readonly stateBackend: StateBackendName;
  readonly stateUrl?: string | undefined;
  readonly stateDir?: string | undefined;
  readonly stateNamespace?: string | undefined;
}

/** file: DROVER_HOME/apps/<name>/state unless --state-dir says otherwise (relative to cwd). */
export function resolveState(o: StateOptions, name: string, cwd: string): StateSpec {
  if (o.stateBackend === 'redis' && !o.stateUrl) {
    throw new DroverError('DROVER_E_INVALID_OPTION', '--state-backend redis needs --state-url redis://host:port (the Redis server every master of the app shares)');
  }
  if (o.stateUrl !== undefined && !/^rediss?:\/\//.test(o.stateUrl)) {
    throw new DroverError('DROVER_E_INVALID_OPTION', `--state-url expects redis://host:port[/db], got ${JSON.stringify(o.stateUrl.replace(/\/\/[^@/]*@/, '//***@'))}`);
  }
  const namespace = o.stateNamespace ?? name;
  // It becomes a Redis hash tag ({ns}): braces would split it.
  if (o.stateBackend === 'redis' && !/^[\w.:@-]+$/.test(namespace)) {
    throw new DroverError('DROVER_E_INVALID_OPTION', `--state-namespace ${JSON.stringify(namespace.slice(0, 80))}: use letters, digits and . _ : @ - only (the default is the app name)`);
  }
  return {
    backend: o.stateBackend,
    dir: o.stateDir !== undefined ? path.resolve(cwd, o.stateDir) : path.join(droverPaths().apps, name, 'state'),
    url: o.stateUrl,
    namespace,
  };
}
