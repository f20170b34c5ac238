// The app master runs from its CommonJS build (issue 17: the ESM loader's
// module records cost an idle master ~1.8 MB of private memory): drover
// starts dist/cjs/daemon/app-master.js, its whole module graph loads through
// require(), and the optional dependencies stay lazy there too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NODE24, ROOT, example, fixture } from '../helpers/drover.js';
import { request } from '../helpers/http.js';
import { waitFor } from '../helpers/wait.js';
import { droverPaths, ensureHome } from '../../dist/control/paths.js';
import { spawnStandbyMaster } from '../../dist/control/standby.js';

const MASTER_CJS = path.join(ROOT, 'dist/cjs/daemon/app-master.js');
// The modules of its bundle that a default master does not run (scripts/build-cjs-preload.js).
const MASTER_LAZY = path.join(ROOT, 'dist/cjs/daemon/app-master-lazy.js');

const freePort = () =>
  new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });

test('npm run build makes the CommonJS app master', () => {
  assert.ok(existsSync(MASTER_CJS), `${MASTER_CJS} is missing: run npm run build`);
});

test('a standby master given no app loads its module graph by require(), from dist/cjs, and no package', (t) => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'drover-master-cjs-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  // Empty stdin: the master loads everything, reads end-of-file without an app and exits 0 (app-master-process.ts).
  // Without its pre-booted worker (runtime/preboot.ts): forking one with an IPC channel loads Node's channel
  // code (node:v8 among it) that a master with an app loads at its first fork anyway; this checks the master's own graph.
  const r = spawnSync(process.execPath, ['--require', fixture('master-required.cjs'), MASTER_CJS], {
    input: '',
    env: { PATH: process.env.PATH, DROVER_HOME: home, DROVER_PREBOOT_WORKER: '0' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const line = r.stderr.trim().split('\n').pop();
  const required = JSON.parse(line).required.map((f) => path.relative(ROOT, f));
  for (const f of ['dist/cjs/daemon/app-master-process.js', 'dist/cjs/daemon/master/app-master.js', 'dist/cjs/runtime/supervisor.js']) {
    assert.ok(required.includes(f), `${f} loaded by require (got ${required.length} files)`);
  }
  const drover = required.filter((f) => f.startsWith('dist/'));
  assert.deepEqual(drover.filter((f) => !f.startsWith('dist/cjs/')), [], 'no module of the ESM build');
  assert.ok(!required.includes(path.relative(ROOT, MASTER_LAZY)), 'the second file of its bundle is not read');
  assert.deepEqual(required.filter((f) => f.includes('node_modules')), [], 'no package at start (zod, pino, chokidar, croner, ioredis, prom-client load when used)');
  // The state store's server and backends load at its first request (state/master.ts), the client with the master.
  assert.ok(required.includes('dist/cjs/state/client.js'), 'the master\'s own state client loads with it');
  for (const f of ['dist/cjs/state/server.js', 'dist/cjs/state/master-server.js', 'dist/cjs/state/file-backend.js', 'dist/cjs/state/fair-cas.js']) {
    assert.ok(!required.includes(f), `${f} is not loaded before the store's first request`);
  }
  // The message hub proper loads at the first connection or master send (messaging/hub-front.ts); its socket's part with the master.
  assert.ok(required.includes('dist/cjs/messaging/hub-front.js'), 'the hub front loads with the master');
  for (const f of ['dist/cjs/messaging/hub.js', 'dist/cjs/messaging/hub-router.js', 'dist/cjs/messaging/master-endpoint.js', 'dist/cjs/messaging/hub-flow.js']) {
    assert.ok(!required.includes(f), `${f} is not loaded before the hub's first use`);
  }
  // Built-ins an idle master does without (issue 17, ~2.5 MB of private memory on Node 24): random bytes from
  // /dev/urandom (platform/random.ts), node:http at the master socket's first connection, zlib at the first
  // gzip, the callback fs API for logs, node:v8 at the first v8 frame; the clock without node:perf_hooks
  // (platform/clock.ts, ~0.4 MB). Log files are written without fs streams: logs-fd-sink.test.js.
  const builtins = JSON.parse(line).builtins;
  for (const m of ['crypto', 'http', 'zlib', 'fs/promises', 'v8', 'perf_hooks', 'internal/perf/performance']) {
    assert.ok(!builtins.includes(`NativeModule ${m}`), `node:${m} is not loaded by an idle master`);
  }
});

/**
 * Runs the CommonJS master on `record`'s app (examples/hello.js, 2 workers) with the fixture preloaded,
 * waits for the app's first 200, and returns the files it had required by then and its exit after SIGTERM.
 */
async function runMaster(t, { withSpec }) {
  const home = mkdtempSync(path.join(os.tmpdir(), 'drover-master-cjs-'));
  ensureHome(droverPaths({ DROVER_HOME: home }));
  const port = await freePort();
  const options = { name: 'lazy-half', script: example('hello.js'), cwd: ROOT, instances: 2 };
  const env = { PATH: process.env.PATH, DROVER_HOME: home, PORT: String(port) };
  // With the resolved spec, as `drover start` hands it (cli/actions.ts); without, as a restored dump or an older CLI.
  const spec = withSpec ? (await import('../../dist/config/resolve.js')).resolveSpec(options) : undefined;
  const record = { name: options.name, options, spec, env, source: { kind: 'script' }, createdAt: Date.now() };
  const master = spawn(process.execPath, ['--require', fixture('master-required.cjs'), MASTER_CJS], { env: { ...env, DROVER_PREBOOT_WORKER: '0' }, stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  master.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => master.on('exit', (code, signal) => resolve({ code, signal })));
  t.after(async () => {
    if (master.exitCode === null && master.signalCode === null) master.kill('SIGKILL');
    await exited;
    rmSync(home, { recursive: true, force: true });
  });
  master.stdin.end(JSON.stringify(record));
  await waitFor(async () => (await request({ port, timeoutMs: 2_000 }).catch(() => null))?.status === 200, { timeoutMs: 30_000, message: `the app answers on ${port}` });
  master.kill('SIGWINCH'); // the fixture reports what was required so far
  const line = await waitFor(() => stderr.split('\n').find((l) => l.startsWith('{"required"')), { timeoutMs: 10_000, message: 'the fixture reports' });
  const required = JSON.parse(line).required.map((f) => path.relative(ROOT, f));
  master.kill('SIGTERM');
  return { required, end: await exited, stderr: () => stderr };
}

test('a master serving a default app has not read the second file of its bundle', async (t) => {
  const { required, end, stderr } = await runMaster(t, { withSpec: true });
  assert.ok(required.includes('dist/cjs/http/master-socket.js'), 'the master socket runs');
  assert.ok(!required.includes(path.relative(ROOT, MASTER_LAZY)), `${path.relative(ROOT, MASTER_LAZY)} is read (${required.length} files)`);
  assert.equal(end.code, 0, stderr());
});

test('a master that needs a module of the second file reads it, into the same module table', async (t) => {
  // Without a spec the master validates the options itself (config/resolve.js, in the second file, with zod),
  // and the errors it may throw are the first file's classes (one table: errors.js is not loaded twice).
  const { required, end, stderr } = await runMaster(t, { withSpec: false });
  assert.ok(required.includes(path.relative(ROOT, MASTER_LAZY)), 'the second file is read');
  assert.ok(required.includes('dist/cjs/config/resolve.js'), 'config/resolve.js ran');
  assert.equal(end.code, 0, stderr());
  // No module is in both files: a module's second copy would be a second instance (its classes, its state).
  const ids = (file) => [...readFileSync(file, 'utf8').matchAll(/^("[^"\n]+"): function \(exports, require, module\) \{$/gm)].map((m) => JSON.parse(m[1]));
  const first = new Set(ids(MASTER_CJS));
  const second = ids(MASTER_LAZY);
  assert.ok(first.has('errors.js') && second.includes('state/server.js'), `${first.size} + ${second.length} modules`);
  assert.deepEqual(second.filter((id) => first.has(id)), [], 'modules in both files');
});

test('drover starts the CommonJS build of a master', async (t) => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'drover-master-cjs-'));
  const paths = droverPaths({ DROVER_HOME: home });
  ensureHome(paths);
  const master = spawnStandbyMaster(paths);
  t.after(() => {
    if (master.exited === undefined) master.child.kill('SIGKILL');
    rmSync(home, { recursive: true, force: true });
  });
  // Read before it has an app: process.title replaces the command line once it has one.
  const argv = readFileSync(`/proc/${master.pid}/cmdline`, 'utf8').split('\0');
  assert.ok(argv.includes(MASTER_CJS), argv.join(' '));
  master.provide(undefined); // end-of-file: it exits
  await waitFor(() => master.exited, { timeoutMs: 30_000, message: 'the standby master exits' });
  assert.equal(master.exited.code, 0);
});

test('the supervisor node flags are valid on Node 24 too (where --no-maglev matters)', { skip: !existsSync(NODE24) && 'Node 24 is not in .cache/node24' }, async () => {
  const { SUPERVISOR_NODE_FLAGS } = await import('../../dist/control/node-flags.js');
  const r = spawnSync(NODE24, [...SUPERVISOR_NODE_FLAGS, '-e', 'process.stdout.write("ok")'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'ok');
});
