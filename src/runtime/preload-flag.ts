// How the worker runtime is preloaded: `--require` of its CommonJS build for a
// CommonJS app, `--import` of the ESM build otherwise. `--import` makes Node
// run even a CommonJS main script through the ESM loader; measured with
// callgrind (node --jitless, a CJS script that requires node:http, Node 20):
// 561 M instructions without a preload, 693 M with `--import`, 629 M with
// `--require` of the CommonJS build; a replacement after a crash pays this
// before it can listen.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PRELOAD_PATH = fileURLToPath(new URL('../worker/preload.js', import.meta.url));
/** The agent's preload (worker/agent-preload.ts): only the IPC bound. ESM, loaded with `--import` for any agent. */
export const AGENT_PRELOAD_PATH = fileURLToPath(new URL('../worker/agent-preload.js', import.meta.url));
/** Built by `npm run build` (tsconfig.cjs.json); absent after a bare `tsc -p tsconfig.json`, then `--import` is used. */
export const PRELOAD_CJS_PATH = fileURLToPath(new URL('../cjs/worker/preload.js', import.meta.url));

const MAX_PARENTS = 64;

/** Whether Node loads `script` as CommonJS: .cjs, or .js (or no extension) under a package.json whose type is not "module". */
export function isCommonJs(script: string, read: (file: string) => string | undefined = readText): boolean {
  const ext = path.extname(script);
  if (ext === '.cjs') return true;
  if (ext !== '.js' && ext !== '') return false;
  let dir = path.dirname(path.resolve(script));
  for (let i = 0; i < MAX_PARENTS; i++) {
    const text = read(path.join(dir, 'package.json'));
    if (text !== undefined) {
      try {
        return (JSON.parse(text) as { type?: unknown }).type !== 'module';
      } catch {
        return false; // Node refuses a broken package.json too; the ESM path reports it the usual way
      }
    }
    const up = path.dirname(dir);
    if (up === dir) return true;
    dir = up;
  }
  return false;
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

// One lookup per script: a worker is spawned on the path from a crash to its replacement.
const cache = new Map<string, readonly string[]>();
let cjsBuilt: boolean | undefined;

/** The node arguments that preload the worker runtime into `script`. */
export function preloadArgs(script: string): readonly string[] {
  let args = cache.get(script);
  if (!args) {
    cjsBuilt ??= existsSync(PRELOAD_CJS_PATH);
    args = cjsBuilt && isCommonJs(script) ? ['--require', PRELOAD_CJS_PATH] : ['--import', PRELOAD_PATH];
    if (cache.size > 100) cache.clear();
    cache.set(script, args);
  }
  return args;
}
