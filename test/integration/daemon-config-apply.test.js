// drover reload|restart <config> [--env NAME] [--only apps]: the file is
// re-read and its new env and options applied in place (a restart where a
// reload cannot make the change, and saying so); drover start <name> of a
// running app leaves it alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { APP, cli, describe, fails, get, makeHome, ok, portOf } from '../helpers/daemon.js';

function writeConfig(file, { a1Env, a1Extra = {}, a2Env }) {
  const apps = [
    { name: 'a1', script: APP, env: { PORT: '0', ...a1Env }, env_production: { APP_MODE: 'prod' }, ...a1Extra },
    { name: 'a2', script: APP, env: { PORT: '0', ...a2Env } },
  ];
  writeFileSync(file, JSON.stringify({ apps }, null, 2));
}

const pids = (d) => d.workers.map((w) => w.pid).sort();

test('reload/restart <config> re-reads the file: new env in place, removed variables gone, --only, --env, restart fallback', async (t) => {
  const home = makeHome(t);
  const file = path.join(home, 'drover.config.json');
  writeConfig(file, { a1Env: { APP_MODE: 'dev', EXTRA: 'stale' }, a2Env: { APP_MODE: 'two' } });
  await ok(home, ['start', file]);
  let body = await get(await portOf(home, 'a1'));
  assert.equal(body.mode, 'dev');
  assert.equal(body.extra, 'stale');
  const a2Before = await describe(home, 'a2');

  // start <name> of a running app reports it and keeps its workers.
  const a1Before = await describe(home, 'a1');
  const again = await ok(home, ['start', 'a1']);
  assert.match(again, /^a1: already running \(online\)/m);
  assert.deepEqual(pids(await describe(home, 'a1')), pids(a1Before));

  // EXTRA removed from the file, env_production selected, only a1 touched.
  writeConfig(file, { a1Env: { APP_MODE: 'dev' }, a2Env: { APP_MODE: 'two-changed' } });
  const r = await cli(home, ['reload', file, '--env', 'production', '--only', 'a1']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^a1: reloaded 1 worker in \d+ ms$/m);
  const a1After = await describe(home, 'a1');
  assert.equal(a1After.master.pid, a1Before.master.pid, 'a reload keeps the master');
  body = await get(a1After.ports[0]);
  assert.equal(body.mode, 'prod');
  assert.equal(body.extra, null, 'a variable removed from the file is gone after the reload');
  assert.deepEqual(pids(await describe(home, 'a2')), pids(a2Before), '--only a1 leaves a2 alone');

  // A change a reload cannot make (master-balanced → kernel): restarted instead, and said so.
  writeConfig(file, { a1Env: { APP_MODE: 'dev' }, a1Extra: { balance: 'kernel' }, a2Env: { APP_MODE: 'two-changed' } });
  const k = await cli(home, ['reload', file, '--only', 'a1']);
  assert.equal(k.code, 0, k.stderr);
  assert.match(k.stdout, /^a1: restarted instead of reloaded \(.*restart.*\): 1 worker in \d+ ms$/m);
  const a1Kernel = await describe(home, 'a1');
  assert.notEqual(a1Kernel.master.pid, a1Before.master.pid);
  body = await get(a1Kernel.ports[0]);
  assert.equal(body.mode, 'dev', 'without --env the base env applies');

  // restart <config> --only a2 starts a2 with the file's new env.
  const rs = await cli(home, ['restart', file, '--only', 'a2']);
  assert.equal(rs.code, 0, rs.stderr);
  body = await get(await portOf(home, 'a2'));
  assert.equal(body.mode, 'two-changed');

  // A later plain reload keeps the re-read options (the master's source follows).
  const plain = await cli(home, ['reload', 'a2']);
  assert.equal(plain.code, 0, plain.stderr);
  assert.equal((await get(await portOf(home, 'a2'))).mode, 'two-changed');

  await fails(home, ['reload', 'a1', '--env', 'production'], { code: 'DROVER_E_USAGE', exitCode: 64, message: /name one/ });
  await fails(home, ['reload', file, '--only', 'nope'], { code: 'DROVER_E_USAGE', exitCode: 64, message: /no such app in the config file/ });
});
