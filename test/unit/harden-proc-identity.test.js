// proc-identity: a pid is ours only with our uid, the recorded start time and the expected command line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatPidClaim, isDaemonArgv, isMasterArgv, isOurProcess, parsePidClaim, procIdentity } from '../../dist/platform/proc-identity.js';

const linux = process.platform === 'linux';

test('parsePidClaim reads "<pid>" and "<pid> <start time>", nothing else', () => {
  assert.deepEqual(parsePidClaim('123\n'), { pid: 123, startTime: '' });
  assert.deepEqual(parsePidClaim('123 4567\n'), { pid: 123, startTime: '4567' });
  for (const bad of ['', 'abc', '12 ab', '-1', '1 2 3']) assert.equal(parsePidClaim(bad), undefined, bad);
});

test('formatPidClaim records the start time of the pid', { skip: !linux && 'needs /proc' }, () => {
  const claim = parsePidClaim(formatPidClaim(process.pid));
  assert.equal(claim.pid, process.pid);
  assert.equal(claim.startTime, procIdentity(process.pid).startTime);
  assert.match(claim.startTime, /^\d+$/);
});

test('isOurProcess: same process yes; other start time, other command line, no such pid: no', { skip: !linux && 'needs /proc' }, () => {
  const me = procIdentity(process.pid);
  assert.deepEqual(me.uids, [process.getuid(), process.geteuid()]);
  assert.equal(isOurProcess({ pid: process.pid, startTime: me.startTime }, () => true), true);
  assert.equal(isOurProcess({ pid: process.pid, startTime: '' }, () => true), true);
  assert.equal(isOurProcess({ pid: process.pid, startTime: String(Number(me.startTime) + 1) }, () => true), false, 'a reused pid has another start time');
  assert.equal(isOurProcess({ pid: process.pid, startTime: me.startTime }, () => false), false);
  assert.equal(isOurProcess({ pid: 2 ** 22 + 1, startTime: '' }, () => true), false);
});

test('the command lines of a daemon and of a master (before and after its title is set)', () => {
  assert.equal(isDaemonArgv(['/usr/bin/node', '/opt/drover/dist/daemon/main.js']), true);
  assert.equal(isDaemonArgv(['/usr/bin/node', '/opt/drover/dist/cli/main.js']), false);
  assert.equal(isMasterArgv(['/usr/bin/node', '/opt/drover/dist/daemon/app-master.js']), true);
  assert.equal(isMasterArgv(['drover-master web']), true);
  assert.equal(isMasterArgv(['sleep', '300']), false);
});
