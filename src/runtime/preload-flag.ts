// How the worker runtime is preloaded: `--require` of its CommonJS build,
// whatever the app's module type, and `--import` of the ESM build only when
// the CommonJS build is missing (a bare `tsc -p tsconfig.json`). A module
// preloaded with `--require` runs before an ES module entry too, and the
// runtime only patches Node's built-ins (net, dgram, process), which an ESM
// app imports as the same objects. Why not `--import`: it loads the preload's
// module graph through the ESM loader, which costs more than `require`, and a
// replacement after a crash pays this before it can listen. Measured with
// callgrind (node --jitless, a CJS script that requires node:http, Node 20):
// 561 M instructions without a preload, 693 M with `--import`, 629 M with
// `--require`; and CPU time of `node <preload> app.mjs` (an ESM app that
// listens and exits, 15 interleaved runs each, medians, a loaded machine):
// none 160 ms, `--import` 210 ms, `--require` 190 ms (issue 17).
import { existsSync } from 'node:fs';
import path from 'node:path';
// Not import.meta: this module is also built as CommonJS, for the app master (platform/install-dir.cts).
import { DIST_DIR } from '../platform/install-dir.cjs';

export const PRELOAD_PATH = path.join(DIST_DIR, 'worker/preload.js');
/** The agent's preload (worker/agent-preload.ts): only the IPC bound. ESM, loaded with `--import` for any agent. */
export const AGENT_PRELOAD_PATH = path.join(DIST_DIR, 'worker/agent-preload.js');
/** Built by `npm run build` (tsconfig.cjs.json); absent after a bare `tsc -p tsconfig.json`, then `--import` is used. */
export const PRELOAD_CJS_PATH = path.join(DIST_DIR, 'cjs/worker/preload.js');

let args: readonly string[] | undefined;

/** The node arguments that preload the worker runtime (looked up once: a worker is spawned on the path from a crash to its replacement). */
export function preloadArgs(): readonly string[] {
  args ??= existsSync(PRELOAD_CJS_PATH) ? ['--require', PRELOAD_CJS_PATH] : ['--import', PRELOAD_PATH];
  return args;
}
