// Standby masters (issue 17): `drover start <script>` boots the app's master
// itself, in parallel with its own start-up, on a warm start as on a cold one;
// the daemon keeps an idle one in advance only with DROVER_SPARE_MASTER=1, and
// DROVER_SPARE_MASTER=0 leaves the master to the daemon (its child).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { APP, daemonPid, describe, makeHome, ok, processesOf } from '../helpers/daemon.js';

const linux = process.platform !== 'linux' && 'needs /proc';
const ppid = (pid) => {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]);
};
const cmdline = (pid) => readFileSync(`/proc/${pid}/cmdline`, 'latin1');

/** App master processes of the home that are no app's master: idle standbys. */
async function idleStandbys(home, apps) {
  const masters = new Set();
  for (const a of apps) masters.add((await describe(home, a)).master.pid);
  return processesOf(home).filter((p) => !masters.has(p) && cmdline(p).includes('app-master.js'));
}

for (const [label, setting, expectDaemonChild, expectIdle] of [
  ['by default', undefined, false, 0],
  ['with DROVER_SPARE_MASTER=1', '1', true, 1],
  ['with DROVER_SPARE_MASTER=0', '0', true, 0],
]) {
  test(`a warm start ${label}: the master is ${expectDaemonChild ? "the daemon's child" : 'booted by the CLI'}, ${expectIdle} idle standby after it`, { skip: linux }, async (t) => {
    const home = makeHome(t);
    const env = { PORT: '0', ...(setting === undefined ? {} : { DROVER_SPARE_MASTER: setting }) };
    await ok(home, ['start', APP, '--name', 'first'], { env }); // cold: starts the daemon with this environment
    await ok(home, ['start', APP, '--name', 'second'], { env });
    const second = await describe(home, 'second');
    assert.equal(second.status, 'online');
    const daemon = daemonPid(home);
    assert.equal(ppid(second.master.pid) === daemon, expectDaemonChild, `master ${second.master.pid} has parent ${ppid(second.master.pid)}, daemon ${daemon}`);
    // A kept standby is spawned before the daemon answers the start: none can still be on its way.
    assert.equal((await idleStandbys(home, ['first', 'second'])).length, expectIdle);
  });
}
