// The resolved spec `drover start <script>` hands a new app master
// (LaunchRecord.spec), so the master never loads zod for its first start
// (daemon/master/app-master.ts). It is a hint, not the check: the master
// validates options it gets without one, and refuses the start with the
// error (exit codes and messages as ever).
//
// zod and the schema load from their one-file CommonJS build
// (dist/cjs/config/resolve-bundle.js, scripts/build-cjs-preload.js) when it
// exists: through the ES module loader they are ~115 files, zod's 64 locale
// files among them, and the loader's cost per file made this import the CLI's
// longest step before its start request (issue 17). Errors thrown from the
// bundle are of its own copy of DroverError: none leaves this file.
import { fileURLToPath } from 'node:url';
import { droverPaths } from '../control/paths.js';
import { requireCached } from '../runtime/code-cache.js';
import type { SuperviseOptions } from '../config/schema.js';
import type { AppSpec } from '../core/types.js';
import type * as Resolve from '../config/resolve.js';

let loaded: typeof Resolve.resolveSpec | undefined;

async function loadResolve(): Promise<typeof Resolve.resolveSpec> {
  return (loaded ??= await loadResolveOnce());
}

async function loadResolveOnce(): Promise<typeof Resolve.resolveSpec> {
  try {
    // With V8's code cache of the bundle as it ran (runtime/code-cache.ts): the compile cache holds only its top level.
    return (requireCached(fileURLToPath(new URL('../cjs/config/resolve-bundle.js', import.meta.url)), droverPaths()) as typeof Resolve).resolveSpec;
  } catch (err) {
    // A build by `tsc` alone has no bundle.
    if ((err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw err;
    return (await import('../config/resolve.js')).resolveSpec;
  }
}

/** The spec for a master to start from, or none when the options do not resolve (the master then refuses the start). */
export async function resolvedOrNone(options: SuperviseOptions): Promise<AppSpec | undefined> {
  try {
    return (await loadResolve())(options, 'options');
  } catch {
    return undefined;
  }
}
