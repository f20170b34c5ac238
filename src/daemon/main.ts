#!/usr/bin/env node
// The daemon's entry point (daemon-process.ts is the daemon): the compile
// cache goes on before the daemon's modules load (runtime/compile-cache.ts).
import { droverPaths } from '../control/paths.js';
import { startWithCompileCache } from '../runtime/compile-cache.js';

await startWithCompileCache(droverPaths(), () => import('./daemon-process.js'));
