#!/usr/bin/env node
// The drover command's entry point, kept small: ESM loads every static import
// before any code runs, so what follows is loaded with import(), after the
// compile cache is on (runtime/compile-cache.ts). prestart.ts starts the
// daemon early and answers `drover list` on its own, without commander.
import { droverPaths } from '../control/paths.js';
import { startWithCompileCache } from '../runtime/compile-cache.js';
import { trace } from '../control/trace.js';

trace('cli: main.js');

await startWithCompileCache(droverPaths(), async () => {
  await import('./prestart.js');
  trace('cli: prestart done');
  await import('./program.js');
});
