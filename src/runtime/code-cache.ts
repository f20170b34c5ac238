// A CommonJS file required with V8's code cache made after it ran. Used for
// the one-file bundle of config/resolve.ts and zod the CLI loads for a
// start's spec (cli/spec-hint.ts), on every Node version: the bundle's
// modules are functions V8 compiles lazily, at their first call, and so are
// zod's own. Node 20 has no module.enableCompileCache; from Node 22.1 that
// cache covers the bundle too, but Node makes its entry when the file is
// compiled, before anything ran, so it holds the bundle's top level and none
// of those functions (issue 17: bundle load + first resolveSpec in fresh
// processes, Node 20, interleaved, n=10, CPU 126 → 87 ms with this cache;
// Node 24, n=20, against the compile cache: CPU 122 → 96 ms, wall 0.75×).
//
// Contracts (as the compile cache's):
// - The cache lives in DROVER_HOME/cache (the home is 0700 and trust-checked):
//   cached code is code that runs, so only the owner may write it. A home
//   that does not exist is not created for it.
// - The file's name carries the Node version and the source's size and
//   mtime, so a rebuilt bundle never meets another source's code (V8 itself
//   only checks the source's length); V8 rejects data of other flags.
// - Written once, at exit (off the start's path), when it was missing or
//   rejected: after the process ran the bundle's functions, so their lazily
//   compiled code is in it. Written to a temporary name, then renamed; the
//   caches of the file's other builds are removed then.
// - NODE_DISABLE_COMPILE_CACHE=1 turns it off, as for Node itself.
import { readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Script } from 'node:vm';
import { trustedCacheDir } from '../platform/home-trust.js';

type Paths = { readonly home: string; readonly cache: string };

function cacheDir(paths: Paths): string | undefined {
  return process.env.NODE_DISABLE_COMPILE_CACHE === '1' ? undefined : trustedCacheDir(paths.home, paths.cache);
}

function readOrUndefined(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/** require(file), with V8's code cache in paths.cache. Throws what require would for a missing file (code MODULE_NOT_FOUND). */
export function requireCached(file: string, paths: Paths): unknown {
  const req = createRequire(file);
  const dir = cacheDir(paths);
  if (dir === undefined) return req(file);
  let source: string;
  let st: { size: number; mtimeMs: number };
  try {
    st = statSync(file);
    source = readFileSync(file, 'utf8');
  } catch {
    return req(file); // missing: require's own error
  }
  const cacheFile = path.join(dir, `${path.basename(file)}-${process.version}-${st.size}-${Math.trunc(st.mtimeMs)}.v8`);
  const cachedData = readOrUndefined(cacheFile);
  // The wrapper Node's CommonJS loader gives a module.
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, cachedData });
  if (cachedData === undefined || script.cachedDataRejected === true) {
    process.once('exit', () => {
      try {
        const tmp = `${cacheFile}.${process.pid}.tmp`;
        writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
        renameSync(tmp, cacheFile);
        // A rebuilt or upgraded bundle's older caches go.
        const stale = `${path.basename(file)}-`;
        for (const name of readdirSync(dir)) if (name.startsWith(stale) && name.endsWith('.v8') && path.join(dir, name) !== cacheFile) rmSync(path.join(dir, name), { force: true });
      } catch {
        // best effort: a cache that cannot be written only costs the next start time
      }
    });
  }
  const mod = { exports: {} as unknown, filename: file, id: file, loaded: false };
  (script.runInThisContext() as (...args: unknown[]) => void).call(mod.exports, mod.exports, req, mod, file, path.dirname(file));
  mod.loaded = true;
  return mod.exports;
}
