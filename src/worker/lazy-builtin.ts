// Node built-ins the worker runtime loads only when it needs them, not while
// the worker boots: every module the preload loads up front is paid by a
// replacement after a crash before the app can listen (issue 17). The same
// source is built as ESM and as the CommonJS preload, so no `require` or
// `import.meta` here: a require made for an absolute path serves both.
import { createRequire } from 'node:module';

let load: NodeJS.Require | undefined;

export function lazyBuiltin<T>(id: `node:${string}`): T {
  load ??= createRequire(process.execPath);
  return load(id) as T;
}
