#!/usr/bin/env node
// An app master's entry point (app-master-process.ts is the master): the
// compile cache goes on before its modules load (runtime/compile-cache.ts).
// Its imports are on the critical path of a cold `drover start`.
//
// Built twice: dist/daemon/app-master.js (ESM) and dist/cjs/daemon/app-master.js
// (CommonJS, tsconfig.cjs.json), which is what drover starts when it exists
// (control/standby.ts): a master loaded by `require` skips the ESM loader's
// module records, ~1.8 MB of private memory (issue 17). So no top-level await
// and no import.meta on its module graph (platform/install-dir.cts); its
// dynamic import()s become require()s inside the same functions, still lazy.
import { droverPaths } from '../control/paths.js';
import { startWithCompileCache } from '../runtime/compile-cache.js';
import { trace, traceOrigin } from '../control/trace.js';
import { preboot, prebootEnabled } from '../runtime/preboot.js';
import { prearmGroupGuard } from '../runtime/group-guard.js';

traceOrigin('master');
// Its first worker boots now, while its own modules load and it waits for its
// app, when opted in (runtime/preboot.ts: DROVER_PREBOOT_WORKER=1, or the
// daemon's spare with DROVER_SPARE_MASTER=1).
if (prebootEnabled()) preboot(process.cwd());
// Its process-group guard too, before any fork (runtime/group-guard.ts).
prearmGroupGuard();
trace('master: guard spawned');

// A failure here is an unhandled rejection: Node prints it and exits 1, as the top-level await did.
void startWithCompileCache(droverPaths(), () => import('./app-master-process.js'));
