// Logging never takes the supervisor down (issue 15): with DROVER_HOME/logs on
// a full disk (a small tmpfs), the daemon keeps restarting a master that dies
// and a new daemon starts; a daemon.log that cannot be opened leaves the CLI
// working (no stack trace, no exit 1). The full disk needs root and mount(8):
// skipped with the reason otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { APP, cli, daemonPid, describe, makeHome, ok, waitFor } from '../helpers/daemon.js';
import { isRoot } from '../helpers/harden.js';

function tryMount(dir) {
  if (!isRoot) return 'needs root to mount a small tmpfs (a full disk)';
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m,mode=0700', 'tmpfs', dir], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `mount -t tmpfs failed here (${(r.stderr || r.error?.message || '').trim()}): no full disk to test with`;
}

/**
 * Fills the file system of dir until a write fails with ENOSPC: a filler
 * file, then the slack in the last page of every log file there (an append
 * that fits in a file's last page needs no new block and would still work).
 */
function fill(dir) {
  const chunk = Buffer.alloc(64 * 1024, 120);
  const file = path.join(dir, 'filler');
  for (let i = 0; i < 10_000; i++) {
    try {
      writeFileSync(file, chunk, { flag: 'a' });
    } catch (err) {
      assert.equal(err.code, 'ENOSPC');
      break;
    }
  }
  // The last pages, a byte at a time.
  for (const name of readdirSync(dir)) {
    for (let i = 0; i < 4096; i++) {
      try {
        writeFileSync(path.join(dir, name), name === 'filler' ? 'x' : '\n', { flag: 'a' });
      } catch {
        break;
      }
    }
  }
}

test('daemon.log on a full disk: the daemon keeps restarting a master that dies, and a new daemon starts', async (t) => {
  // Registered before makeHome's cleanup (hooks run in order), which removes the home.
  let mounted;
  t.after(() => mounted && spawnSync('umount', ['-l', mounted]));
  const home = makeHome(t);
  const logs = path.join(home, 'logs');
  mkdirSync(logs, { mode: 0o700 });
  const why = tryMount(logs);
  if (why) return t.skip(why);
  mounted = logs;
  await ok(home, ['start', APP, '--name', 'web'], { env: { PORT: '0' } });
  const before = await describe(home, 'web');
  fill(logs);

  // The daemon logs "app master died unexpectedly" (dropped): it must survive that and restart the master.
  const daemon = daemonPid(home);
  process.kill(before.master.pid, 'SIGKILL');
  const after = await waitFor(
    async () => {
      const d = await describe(home, 'web');
      return d.status === 'online' && d.master.pid !== before.master.pid && d.masterRestarts === 1 && d;
    },
    { timeoutMs: 20_000, message: 'the master to be restarted on a full disk' },
  );
  assert.equal(daemonPid(home), daemon, 'the daemon survived');
  const ping = await ok(home, ['ping', '--json'], { json: true });
  assert.equal(ping.pid, daemon);
  assert.ok(ping.log.dropped >= 1, `the dropped lines are counted: ${JSON.stringify(ping.log)}`);

  // A new daemon starts while the disk stays full (and adopts the app).
  process.kill(daemon, 'SIGKILL');
  await waitFor(() => spawnSync('kill', ['-0', String(daemon)]).status !== 0, { message: 'the old daemon to exit' });
  const r = await cli(home, ['list', '--json'], { timeoutMs: 20_000 });
  assert.equal(r.code, 0, `no new daemon on a full disk: ${r.stderr}`);
  const list = JSON.parse(r.stdout);
  assert.deepEqual(list.map((a) => [a.name, a.status, a.masterPid]), [['web', 'online', after.master.pid]]);
});

test('a daemon.log that cannot be opened: the daemon still starts, the CLI prints no stack', async (t) => {
  const home = makeHome(t);
  mkdirSync(path.join(home, 'logs', 'daemon.log'), { recursive: true, mode: 0o700 }); // open(..., 'a') fails: EISDIR
  const r = await cli(home, ['ping'], { timeoutMs: 20_000 });
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'a stack trace');
  assert.equal(r.code, 0, r.stderr);
  await ok(home, ['start', APP, '--name', 'web'], { env: { PORT: '0' } });
  assert.equal((await describe(home, 'web')).status, 'online');
});
