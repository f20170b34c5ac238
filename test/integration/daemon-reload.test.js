// drover reload (rolling, a progress line per worker, non-zero exit on
// failure), scale and signal through the daemon.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { APP, cli, describe, errorLine, get, isAlive, makeHome, ok, waitFor } from '../helpers/daemon.js';
import { startLoad } from '../helpers/http.js';

test('reload replaces every worker with a progress line each; requests keep being served', async (t) => {
  const home = makeHome(t);
  await ok(home, ['start', APP, '--name', 'roll', '-i', '2'], { env: { PORT: '0' } });
  const before = await describe(home, 'roll');
  const port = before.ports[0];
  const oldPids = before.workers.map((w) => w.pid);

  // Requests during the reload must all succeed.
  const load = startLoad({ port });
  const r = await cli(home, ['reload', 'roll']);
  const { ok: served, failures } = await load.stop();
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(failures, []);
  assert.ok(served > 0);

  const lines = r.stdout.trim().split('\n');
  assert.equal(lines[0], 'roll: reloading 2 workers');
  for (const slot of [0, 1]) {
    assert.ok(lines.some((l) => new RegExp(`^roll: worker ${slot} ready \\(new pid \\d+\\)$`).test(l)), r.stdout);
    assert.ok(lines.some((l) => new RegExp(`^roll: worker ${slot} pid ${oldPids[slot]} stopped$`).test(l)), r.stdout);
  }
  assert.match(lines.at(-1), /^roll: reloaded 2 workers in \d+ ms$/);

  const after = await describe(home, 'roll');
  assert.equal(after.ready, 2);
  assert.ok(after.workers.every((w) => !oldPids.includes(w.pid)));
  assert.equal(after.master.pid, before.master.pid, 'a reload keeps the master');
  await waitFor(() => oldPids.every((p) => !isAlive(p)), { message: 'the old workers to exit' });

  // --json: one event object per line, then the result.
  const j = await cli(home, ['reload', 'roll', '--json']);
  assert.equal(j.code, 0, j.stderr);
  assert.match(j.stdout, /^\{"event":"reload-start","app":"roll",/m);
});

test('a failing reload exits non-zero with DROVER_E_RELOAD_FAILED and the old workers keep serving', async (t) => {
  const home = makeHome(t);
  const flag = path.join(home, 'broken');
  await ok(home, ['start', APP, '--name', 'fragile', '-i', '2'], { env: { PORT: '0', FAIL_FLAG: flag } });
  const before = await describe(home, 'fragile');
  writeFileSync(flag, 'the next version fails on boot');

  const r = await cli(home, ['reload', 'fragile']);
  assert.equal(r.code, 76, `${r.stdout}\n${r.stderr}`);
  assert.match(errorLine(r.stderr), /^drover: fragile: reload failed, the previous workers keep serving: .*\[DROVER_E_RELOAD_FAILED\]$/);
  assert.match(r.stdout, /^fragile: reloading 2 workers$/m);
  assert.match(r.stdout, /^fragile: worker 0 pid \d+ crashed with code 3$|^fragile: worker 0 pid \d+ exited with code 3$/m);

  const after = await describe(home, 'fragile');
  assert.deepEqual(
    after.workers.map((w) => w.pid),
    before.workers.map((w) => w.pid),
  );
  assert.equal(after.status, 'online');
  const body = await get(before.ports[0]);
  assert.ok(before.workers.some((w) => w.pid === body.pid));
  // The failure is in the app's log.
  assert.match(await ok(home, ['logs', 'fragile', '--lines', '50']), /failing on boot/);

  // Fixed: the next reload goes through.
  rmSync(flag);
  const fixed = await cli(home, ['reload', 'fragile']);
  assert.equal(fixed.code, 0, fixed.stderr);
});

test('scale up and down; signal reaches every worker', async (t) => {
  const home = makeHome(t);
  await ok(home, ['start', APP, '--name', 'elastic'], { env: { PORT: '0' } });
  // scale waits for the new workers, as reload does (issue 16): they are ready when it returns.
  assert.match(await ok(home, ['scale', 'elastic', '3']), /^elastic: 3 workers ready$/m);
  assert.equal((await describe(home, 'elastic')).ready, 3);
  await ok(home, ['scale', 'elastic', '1']);
  assert.equal((await describe(home, 'elastic')).workers.length, 1, 'the surplus stopped before scale returned');
  assert.match(await ok(home, ['scale', 'elastic', '2', '--no-wait']), /^elastic: scaling to 2 workers$/m);
  await waitFor(async () => (await describe(home, 'elastic')).ready === 2, { message: '2 workers ready' });
  await ok(home, ['scale', 'elastic', '1']);

  const sig = await ok(home, ['signal', 'SIGUSR2', 'elastic']);
  assert.match(sig, /^elastic: SIGUSR2 sent to 1 worker \(pids \d+\)$/m);
  await waitFor(async () => /got SIGUSR2/.test(await ok(home, ['logs', 'elastic', '--lines', '20'])), { message: 'the worker to log the signal' });
  assert.equal((await describe(home, 'elastic')).restarts, 0, 'the signal did not kill it');
});
