// `drover list` answered three ways, and the daemon's copy of each master's
// status (issue 17): the `drover` bin's CommonJS fast path (dist/cli/bin.cjs),
// dist/cli/main.js's fast path (prestart.ts) and the command line program
// (program.js, commander) must print the same and exit the same; the daemon
// answers from the status it read last until the master says it changed, so a
// list right after a worker was killed or the app scaled must show the new
// state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { APP, CLI, ROOT, describe, makeHome, ok, waitFor } from '../helpers/daemon.js';
import { withTimeout } from '../helpers/wait.js';

const BIN = path.join(ROOT, 'dist/cli/bin.cjs');
const PROGRAM = pathToFileURL(path.join(ROOT, 'dist/cli/program.js')).href;

/** The argv before the command's own, per path. */
const PATHS = {
  bin: [BIN],
  main: [CLI],
  // program.js straight away: no prestart.ts, no fast path.
  full: ['--input-type=module', '-e', `process.argv.splice(1, 0, 'drover'); await import(${JSON.stringify(PROGRAM)});`],
};

function run(home, way, args) {
  const child = spawn(process.execPath, [...PATHS[way], ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', DROVER_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (c) => (out.stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c) => (out.stderr += c));
  const done = new Promise((resolve) => child.on('close', (code) => resolve({ code, ...out })));
  return withTimeout(done, 30_000, `${way} ${args.join(' ')}`).catch((err) => {
    child.kill('SIGKILL');
    throw err;
  });
}

async function listJson(home, way = 'bin') {
  const r = await run(home, way, ['list', '--json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/** What may differ between two calls a moment apart: CPU, memory, uptime. */
const steadyRows = (rows) => rows.map(({ cpu: _c, memory: _m, uptimeMs: _u, ...rest }) => rest);
// The columns are as wide as their widest value (an uptime of 9s or 10s), so runs of spaces count as one.
const steadyText = (text) => text.replace(/ {2,}/g, ' ').replace(/\s+\d+[smhd]\s+[\d.]+%\s+[\d.]+ [KMGT]?B\s+/g, ' <uptime cpu memory> ').replace(/\s+-\s+[\d.]+%\s+[\d.]+ [KMGT]?B\s+/g, ' <- cpu memory> ');

test('list: the bin, main.js and the command line program print the same and exit the same', async (t) => {
  const home = makeHome(t);
  // No daemon yet: the bin cannot answer fast and hands over to the full command, which starts one.
  const empty = await Promise.all(['bin', 'full'].map((w) => run(home, w, ['list'])));
  for (const r of empty) assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'no apps running: start one with drover start <script|config>\n', '']);

  await ok(home, ['start', APP, '--name', 'web', '-i', '2'], { env: { PORT: '0' } });
  await ok(home, ['start', APP, '--name', 'old'], { env: { PORT: '0' } });
  await ok(home, ['stop', 'old']);
  for (const args of [['list'], ['ls'], ['list', '--json'], ['ls', '--json']]) {
    const [bin, main, full] = await Promise.all(['bin', 'main', 'full'].map((w) => run(home, w, args)));
    for (const r of [bin, main, full]) assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    const steady = args.includes('--json') ? (s) => steadyRows(JSON.parse(s)) : steadyText;
    assert.deepEqual(steady(bin.stdout), steady(full.stdout), `${args.join(' ')}: bin vs full`);
    assert.deepEqual(steady(main.stdout), steady(full.stdout), `${args.join(' ')}: main.js vs full`);
    assert.deepEqual([bin.stderr, main.stderr], [full.stderr, full.stderr]);
  }
  // A flag list does not know goes to commander on every path: the same usage error.
  const bad = await Promise.all(['bin', 'main', 'full'].map((w) => run(home, w, ['list', '--jsn'])));
  assert.equal(bad[0].code, 64, bad[0].stderr);
  for (const r of bad) assert.deepEqual([r.code, r.stdout, r.stderr], [bad[0].code, bad[0].stdout, bad[0].stderr]);
});

test('list: a home that fails the trust check gives the same error on every path', async (t) => {
  const home = makeHome(t);
  await ok(home, ['ping']);
  chmodSync(home, 0o777);
  let runs;
  try {
    runs = await Promise.all(['bin', 'main', 'full'].map((w) => run(home, w, ['list'])));
  } finally {
    // Before makeHome's `drover kill`, which must be able to reach the daemon.
    chmodSync(home, 0o700);
  }
  const [bin, main, full] = runs;
  assert.notEqual(full.code, 0);
  assert.match(full.stderr, /DROVER_E_HOME_UNSAFE/);
  assert.deepEqual([bin.code, bin.stdout, bin.stderr], [full.code, full.stdout, full.stderr]);
  assert.deepEqual([main.code, main.stdout, main.stderr], [full.code, full.stdout, full.stderr]);
});

test("list after a worker's SIGKILL and after scale shows the new pids, restarts and counts", async (t) => {
  const home = makeHome(t);
  await ok(home, ['start', APP, '--name', 'web', '-i', '2'], { env: { PORT: '0' } });
  // Twice: the second is answered from the daemon's copy.
  await listJson(home);
  const [before] = await listJson(home);
  assert.deepEqual([before.ready, before.restarts, before.pids.length], [2, 0, 2]);
  const d = await describe(home, 'web');
  assert.deepEqual([...before.pids].sort(), d.workers.map((w) => w.pid).sort());

  const killed = before.pids[0];
  process.kill(killed, 'SIGKILL');
  const after = await waitFor(
    async () => {
      const [row] = await listJson(home);
      return row.restarts === 1 && row.ready === 2 && row.pids.length === 2 && !row.pids.includes(killed) && row;
    },
    { timeoutMs: 20_000, message: `list to show the replacement of worker ${killed}` },
  );
  assert.ok(after.pids.includes(before.pids[1]), 'the other worker is the same');
  const again = await describe(home, 'web');
  assert.deepEqual([...after.pids].sort(), again.workers.map((w) => w.pid).sort());

  // scale waits for the new workers: the very next list has them, no polling.
  await ok(home, ['scale', 'web', '3']);
  const [up] = await listJson(home);
  assert.deepEqual([up.desired, up.ready, up.pids.length], [3, 3, 3]);
  await ok(home, ['scale', 'web', '1']);
  const [down] = await listJson(home, 'main');
  assert.deepEqual([down.desired, down.pids.length], [1, 1]);
});
