// The floor of drover's structure for a warm start, for bench/scenarios/cli.js
// (issue 17): the chain of Node processes drover's warm `drover start` runs,
// each started at the previous one's first line, and nothing else. The CLI
// (this file, no flag) spawns the app's master at its first line, as drover's
// bin does (cli/prestart-spawn.ts); the master (--master) forks the app at its
// first line with an IPC channel, as drover's master forks a worker, but
// before any record, daemon round trip, cgroup, preload or check. One worker,
// plain `node` flags (drover's master runs with SUPERVISOR_NODE_FLAGS, which
// did not slow its boot: docs/benchmarks.md). CommonJS: no ES module loader.
//   node bench/apps/structure-floor.cjs <app>
// The CLI writes the master's pid to stdout and exits; the master is detached
// (its own process group, as drover's masters) and the app is in that group:
// the harness ends both with one SIGKILL of the group.
const { spawn, fork } = require('node:child_process');

if (process.argv[2] === '--master') {
  // Alive while the app's channel is open; the harness kills the group.
  fork(process.argv[3], [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
} else {
  const master = spawn(process.execPath, [__filename, '--master', process.argv[2]], { detached: true, stdio: ['ignore', 'ignore', 'inherit'] });
  master.unref();
  process.stdout.write(`${master.pid}\n`);
}
