#!/usr/bin/env node
// An app master's entry point (app-master-process.ts is the master): the
// compile cache goes on before its modules load (runtime/compile-cache.ts).
// Its imports are on the critical path of a cold `drover start`.
import { droverPaths } from '../control/paths.js';
import { startWithCompileCache } from '../runtime/compile-cache.js';

await startWithCompileCache(droverPaths(), () => import('./app-master-process.js'));
