// An app master process (entry: app-master.ts; the master itself:
// master/app-master.ts). The launch record (LaunchRecord JSON) arrives on
// stdin; the environment of this process becomes the record's env (the caller
// of `drover start`) plus DROVER_HOME, so the workers inherit it exactly.
import { droverPaths } from '../control/paths.js';
import type { LaunchRecord } from '../control/records.js';
import { formatError, isDroverError } from '../errors.js';
import { AppMaster } from './master/app-master.js';
import { guardStdio, writeStderrLine } from '../platform/safe-log.js';
import { trace } from '../control/trace.js';
import { discardPrebooted } from '../runtime/preboot.js';

// Taken before the environment changes to the record's (HOME may differ there).
const paths = droverPaths();
let appName = '?';

function readStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    process.stdin.on('data', (c: Buffer) => chunks.push(c));
    process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    process.stdin.on('error', reject);
  });
}

/**
 * The master adopts the environment of the `drover start` call: the workers
 * inherit process.env. (A standby master was started with the daemon's.)
 */
function adoptEnv(env: Readonly<Record<string, string>>): void {
  const home = process.env.DROVER_HOME;
  for (const key of Object.keys(process.env)) if (!(key in env)) delete process.env[key];
  Object.assign(process.env, env);
  if (home !== undefined) process.env.DROVER_HOME = home;
}

async function main(): Promise<number> {
  trace('master: imports done');
  guardStdio(); // hook (issue 15): a full disk under masters.log is not fatal
  // A standby master waits here, imports done, until the daemon hands it an
  // app; end-of-file without one (the daemon exited) ends it.
  const input = await readStdin();
  if (input.trim() === '') {
    discardPrebooted();
    return 0;
  }
  trace('master: record read');
  const record = JSON.parse(input) as LaunchRecord;
  appName = record.name;
  adoptEnv(record.env);
  process.title = `drover-master ${record.name}`;
  const outcome = await new AppMaster(record, paths).main();
  return outcome.exitCode;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    writeStderrLine(`${new Date().toISOString()} [${appName}] ${formatError(err)}`);
    process.exit(isDroverError(err) ? err.exitCode : 1);
  },
);
