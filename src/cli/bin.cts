#!/usr/bin/env node
// The `drover` bin (package.json), CommonJS on purpose: on Node 20 an ES
// module entry costs the ESM loader's start-up (~15 ms of a ~20 ms budget for
// `drover list`, issue 17). A plain `drover list` / `ls` [--json] is answered
// from the CommonJS build (dist/cjs, scripts/build-cjs-preload.js) when a
// daemon runs; everything else, and a list it cannot answer, loads the ES
// module CLI (main.js) as `node dist/cli/main.js` would: same argv, same
// output and exit codes. `npm run build` turns this file and the dist/cjs
// modules it requires into one file (scripts/build-cjs-preload.js): a list
// then loads no other file of drover's.
import type { isPlainList as IsPlainList } from './list-argv.js' with { 'resolution-mode': 'import' };
import type { fastList as FastList } from './list-fast.js' with { 'resolution-mode': 'import' };
import type { droverPaths as DroverPaths } from '../control/paths.js' with { 'resolution-mode': 'import' };
import type { startWithCompileCache as StartWithCompileCache } from '../runtime/compile-cache.js' with { 'resolution-mode': 'import' };
import type { prestartFor as PrestartFor } from './prestart-spawn.js' with { 'resolution-mode': 'import' };
import { nodeAtLeast } from '../platform/node-version.cjs';

// DROVER_TRACE: the CLI's exec and this first line (control/trace.ts); nothing without it.
if (process.env.DROVER_TRACE) (require('../cjs/control/trace.js') as { traceOrigin: (who: string) => void }).traceOrigin('cli');

// `drover start`: the daemon (cold) and the app's master boot from here, before the
// ES module CLI loads (cli/prestart-spawn.ts; prestart.ts finds it done). On a warm
// start the master's boot is the critical path (issue 17: DROVER_TRACE).
if (process.argv[2] === 'start') {
  try {
    (require('../cjs/cli/prestart-spawn.js') as { prestartFor: typeof PrestartFor }).prestartFor(process.argv.slice(2));
  } catch {
    /* a build without dist/cjs (tsc alone): prestart.ts does it */
  }
}


async function answerList(): Promise<number | undefined> {
  let list: { json: boolean } | undefined;
  let startWithCompileCache: typeof StartWithCompileCache;
  let droverPaths: typeof DroverPaths;
  try {
    list = (require('../cjs/cli/list-argv.js') as { isPlainList: typeof IsPlainList }).isPlainList(process.argv.slice(2));
    if (!list) return undefined;
    // Node 20 has no compile cache: its module (and node:module with the ESM
    // loader's parts, ~1 ms of CPU) is not loaded there (issue 17).
    // module.enableCompileCache(): Node >= 22.1.
    startWithCompileCache = nodeAtLeast(22, 1)
      ? (require('../cjs/runtime/compile-cache.js') as { startWithCompileCache: typeof StartWithCompileCache }).startWithCompileCache
      : (_paths, load) => load().then(() => undefined);
    ({ droverPaths } = require('../cjs/control/paths.js') as { droverPaths: typeof DroverPaths });
  } catch {
    return undefined; // a build without dist/cjs (tsc alone): the ES module CLI answers
  }
  // Node >= 22.1: the V8 compile cache on before the rest loads, as main.ts does.
  let code: number | undefined;
  await startWithCompileCache(droverPaths(), async () => {
    const { fastList } = require('../cjs/cli/list-fast.js') as { fastList: typeof FastList };
    code = await fastList(list!);
  });
  return code;
}

answerList().then(
  (code) => (code === undefined ? import('./main.js') : process.exit(code)),
  (err: unknown) => {
    process.stderr.write(`${String((err as Error)?.stack ?? err)}\n`);
    process.exit(1);
  },
);
