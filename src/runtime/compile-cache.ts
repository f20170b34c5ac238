// V8's compile cache for drover's own processes (the CLI, the daemon, app
// masters). From Node 22.1, module.enableCompileCache() keeps the compiled
// code of every module loaded after it in a directory, so the next start
// skips parsing and compiling them. On Node 20 the API is missing and this
// does nothing.
//
// Contracts:
// - ESM loads every static import before any code runs, so an entry point
//   calls startWithCompileCache() first and loads the rest with import().
// - The cache lives in DROVER_HOME/cache (the home is 0700), not in the shared
//   tmpdir: cached code is code that runs, so only the owner may write it.
// - A home that does not exist is not created for it: the first `drover
//   start` creates the home, and the daemon and masters it starts use it.
// - It is per process, not inherited: workers run the app with the module
//   loading its owner chose (NODE_COMPILE_CACHE is theirs to set).
// - NODE_DISABLE_COMPILE_CACHE=1 turns it off, as for Node itself.
import module from 'node:module';
import { trustedCacheDir } from '../platform/home-trust.js';

interface CompileCacheApi {
  enableCompileCache?: (dir: string) => { status: number; directory?: string };
  flushCompileCache?: () => void;
}
const api = module as unknown as CompileCacheApi;

/** Enables the cache in dir when its parent (the home) exists; returns the directory in use, if any. */
function enableCompileCache(home: string, dir: string): string | undefined {
  if (typeof api.enableCompileCache !== 'function') return undefined;
  // hook (issue 15): a cache another user could write would be code we run.
  if (trustedCacheDir(home, dir) === undefined) return undefined;
  try {
    return api.enableCompileCache(dir).directory;
  } catch {
    return undefined;
  }
}

/** Delay before a long-lived process writes its cache (flushCompileCacheSoon). */
const FLUSH_DELAY_MS = 3_000;

/**
 * Writes what was compiled so far, a little later. Node writes the cache when
 * a process exits, but a daemon or master lives for weeks. Right after the
 * imports, the master would serialise ~150 modules just as its workers are
 * being started. The cache only serves the next start, so it waits a few
 * seconds. (On Node 24, the cold-start benchmark median did not move
 * measurably either way: 249 vs 250 ms.) It needs Node >= 22.10; before that,
 * the exit writes it.
 */
function flushCompileCacheSoon(): void {
  if (typeof api.flushCompileCache !== 'function') return;
  setTimeout(() => {
    try {
      api.flushCompileCache?.();
    } catch {
      // best effort: a cache that cannot be written only costs the next start time
    }
  }, FLUSH_DELAY_MS).unref();
}

/**
 * An entry point's whole body: the cache on, then the process's own modules
 * (load), then the cache written a little later for a process that stays up.
 * A short-lived one (the CLI) exits before that timer, which is unref'd, and
 * Node writes the cache at exit.
 */
export async function startWithCompileCache(paths: { readonly home: string; readonly cache: string }, load: () => Promise<unknown>): Promise<void> {
  enableCompileCache(paths.home, paths.cache);
  await load();
  flushCompileCacheSoon();
}
