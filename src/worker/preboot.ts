// A pre-booted worker (runtime/preboot.ts): a Node process an app master
// forks while it waits for its app, with the worker runtime loaded and no
// app, so the app's first worker does not pay Node's start-up after the
// start names it (issue 17). Its first IPC message names the app; it then
// takes the app's environment, cwd, argv and execArgv, installs the worker
// runtime as the `--require` preload would have, and runs the app's script
// as the main module, as `node <script>` does (Module.runMain: CommonJS and
// ES module entries alike). What cannot change after Node's start (node
// flags, NODE_OPTIONS and the other variables Node, libuv, glibc or ICU read
// at start-up) the master checked before it chose this process
// (runtime/preboot.ts, prebootMismatch): it is the same as a fresh fork's.
// Contract: it exits when its channel closes before a launch (its master
// ended or discarded it), and on a first message that is not a launch.
import Module from 'node:module';
import { installWorkerRuntime } from './preload.js';

interface Launch {
  readonly kind: 'drover:launch';
  readonly env: Record<string, string>;
  readonly cwd: string;
  readonly script: string;
  readonly args: readonly string[];
  readonly execArgv: readonly string[];
}

function isLaunch(m: unknown): m is Launch {
  const l = m as Launch | null;
  return typeof l === 'object' && l !== null && l.kind === 'drover:launch' && typeof l.env === 'object' && l.env !== null && typeof l.cwd === 'string' && typeof l.script === 'string' && Array.isArray(l.args) && Array.isArray(l.execArgv);
}

const onDisconnect = () => process.exit(0);
process.once('disconnect', onDisconnect);
process.once('message', (m: unknown) => {
  process.removeListener('disconnect', onDisconnect);
  if (!isLaunch(m)) process.exit(70);
  for (const key of Object.keys(process.env)) if (!(key in m.env)) delete process.env[key];
  Object.assign(process.env, m.env);
  process.chdir(m.cwd);
  process.argv = [process.argv[0]!, m.script, ...m.args];
  process.execArgv = [...m.execArgv];
  // NODE_PATH is read into the module search paths at start-up: again with the app's.
  (Module as unknown as { _initPaths?: () => void })._initPaths?.();
  installWorkerRuntime();
  (Module as unknown as { runMain: (main?: string) => void }).runMain(m.script);
});
