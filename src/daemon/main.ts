#!/usr/bin/env node
// The daemon's entry point (daemon-process.ts is the daemon): the compile
// cache goes on before the daemon's modules load (runtime/compile-cache.ts).
// Built twice: ESM (dist/daemon/main.js, for `drover startup`'s service
// files) and CommonJS (dist/cjs/daemon/main.js, what the CLI starts: issue
// 17, no ESM loader in the daemon), so no top-level await here and no
// import.meta in its module graph (platform/install-dir.cts).
import { droverPaths } from '../control/paths.js';
import { startWithCompileCache } from '../runtime/compile-cache.js';

void startWithCompileCache(droverPaths(), () => import('./daemon-process.js'));
