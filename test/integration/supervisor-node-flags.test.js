// drover's own long-lived processes start with the footprint flags of
// control/node-flags.ts (issue 17: an app master ≤ 10 MB USS), and only they:
// an app master's workers get the app's node args and the app's environment,
// never the master's V8 flags or its MALLOC_ARENA_MAX.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../helpers/drover.js';
import { APP, daemonPid, describe, makeHome, ok } from '../helpers/daemon.js';
import { childrenOf } from '../helpers/procs.js';
import { tempDir } from '../helpers/tmp.js';
import { BOOT_TIMEOUT_MS, waitFor } from '../helpers/wait.js';

const linux = process.platform !== 'linux' && 'needs /proc';
const dist = (f) => import(pathToFileURL(path.join(ROOT, 'dist', f)).href);
/** [] once the process is gone (a worker may be replaced while the test reads). */
const procList = (pid, file) => {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'latin1').split('\0').filter(Boolean);
  } catch {
    return [];
  }
};
const argv = (pid) => procList(pid, 'cmdline');
const environ = (pid) => procList(pid, 'environ');
const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('the flags are valid V8 options of this Node, and keep the young generation at 1 MB', async () => {
  const { SUPERVISOR_NODE_FLAGS } = await dist('control/node-flags.js');
  const { spawnSync } = await import('node:child_process');
  const js = "const v8 = require('v8'); console.log(v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size)";
  const r = spawnSync(process.execPath, [...SUPERVISOR_NODE_FLAGS, '-e', js], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(Number(r.stdout) <= 2 ** 21, `new space ${r.stdout.trim()} bytes`);
});

test("the daemon's flags: the supervisor's, --max-opt=0, and --expose-gc before Node 22, valid on this Node", async () => {
  const { SUPERVISOR_NODE_FLAGS, daemonNodeFlags } = await dist('control/node-flags.js');
  assert.deepEqual(daemonNodeFlags('20.20.2'), [...SUPERVISOR_NODE_FLAGS, '--max-opt=0', '--expose-gc']);
  assert.deepEqual(daemonNodeFlags('22.12.0'), [...SUPERVISOR_NODE_FLAGS, '--max-opt=0']);
  assert.deepEqual(daemonNodeFlags('24.21.0'), [...SUPERVISOR_NODE_FLAGS, '--max-opt=0']);
  const { spawnSync } = await import('node:child_process');
  const r = spawnSync(process.execPath, [...daemonNodeFlags(), '-e', '0'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

test('a standby master runs with the footprint flags and MALLOC_ARENA_MAX', { skip: linux }, async (t) => {
  const home = tempDir(t, 'drover-flags-');
  const { SUPERVISOR_NODE_FLAGS, SUPERVISOR_MALLOC_ENV } = await dist('control/node-flags.js');
  const { spawnStandbyMaster } = await dist('control/standby.js');
  const { droverPaths } = await dist('control/paths.js');
  const master = spawnStandbyMaster(droverPaths({ DROVER_HOME: home }));
  t.after(() => master.exited === undefined && master.child.kill('SIGKILL'));
  // Before its launch record it keeps its argv (the record's app name becomes its title).
  const args = argv(master.pid);
  for (const flag of SUPERVISOR_NODE_FLAGS) assert.ok(args.includes(flag), `${flag} in ${args.join(' ')}`);
  assert.ok(args.indexOf(SUPERVISOR_NODE_FLAGS[0]) < args.findIndex((a) => a.endsWith('app-master.js')), 'node flags before the entry script');
  for (const [k, v] of Object.entries(SUPERVISOR_MALLOC_ENV)) assert.ok(environ(master.pid).includes(`${k}=${v}`), `${k}=${v} in its environment`);
  master.provide(undefined); // end-of-file: a standby without an app exits
  await waitFor(() => master.exited !== undefined, { message: 'the standby master exits' });
  assert.equal(master.exited.code, 0);
});

test("the daemon has the flags; an app master's workers have neither its flags nor its MALLOC_ARENA_MAX", { skip: linux }, async (t) => {
  const home = makeHome(t);
  const { SUPERVISOR_NODE_FLAGS } = await dist('control/node-flags.js');
  await ok(home, ['start', APP, '--name', 'flags', '-i', '2'], { env: { PORT: '0' } });
  const daemon = daemonPid(home);
  for (const flag of SUPERVISOR_NODE_FLAGS) assert.ok(argv(daemon).includes(flag), `daemon: ${flag} in ${argv(daemon).join(' ')}`);
  // The daemon alone never optimizes (control/node-flags.ts, daemonNodeFlags).
  const { daemonNodeFlags } = await dist('control/node-flags.js');
  for (const flag of daemonNodeFlags()) assert.ok(argv(daemon).includes(flag), `daemon: ${flag} in ${argv(daemon).join(' ')}`);
  const master = (await describe(home, 'flags')).master.pid;
  assert.ok(environ(master).includes('MALLOC_ARENA_MAX=2'), 'the master started with MALLOC_ARENA_MAX=2');
  const workers = await waitFor(() => {
    const w = childrenOf(master).filter((pid) => alive(pid) && argv(pid).some((a) => a.endsWith(path.basename(APP))));
    return w.length === 2 && w;
  }, { timeoutMs: BOOT_TIMEOUT_MS, message: 'two workers of the master' });
  for (const pid of workers) {
    const args = argv(pid);
    assert.ok(args.length > 0, `worker ${pid} still runs`);
    for (const flag of SUPERVISOR_NODE_FLAGS) assert.ok(!args.includes(flag), `worker ${pid}: ${flag} in ${args.join(' ')}`);
    assert.ok(!environ(pid).some((e) => e.startsWith('MALLOC_ARENA_MAX=')), `worker ${pid} has no MALLOC_ARENA_MAX`);
  }
});
