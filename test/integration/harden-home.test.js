// An untrusted DROVER_HOME is refused (issue 15): owned by another user,
// writable by others, a symlink, below a directory another user owns; a
// directory drover did not create is never chmod'ed; and no launch record
// (environment included) goes to a control socket the caller does not own.
// The other user is uid 65534 (files chowned to it by root, commands run as it
// with setpriv); skipped with the reason where the test does not run as root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, lchownSync, mkdirSync, statSync, symlinkSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { APP, CLI, cli, errorLine, processesOf } from '../helpers/daemon.js';
import { asOther, noOtherUser, OTHER_UID, run, scratchDir } from '../helpers/harden.js';

const UNSAFE = { code: 'DROVER_E_HOME_UNSAFE', exitCode: 113 };

async function refused(home, args, message, env = {}) {
  const r = await cli(home, args, { env: { PORT: '0', ...env }, timeoutMs: 20_000 });
  assert.equal(r.code, UNSAFE.exitCode, `drover ${args.join(' ')} with DROVER_HOME=${home}: expected exit 113, got ${r.code}: ${r.stderr}${r.stdout}`);
  const line = errorLine(r.stderr);
  assert.ok(line?.endsWith(`[${UNSAFE.code}]`), `expected ${UNSAFE.code}: ${r.stderr}`);
  assert.match(line, message);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  return r;
}

test('a home owned by another user and writable by everyone is refused, and nothing starts in it', { skip: noOtherUser }, async (t) => {
  const { dir, track } = scratchDir(t);
  const home = track(path.join(dir, 'home'));
  mkdirSync(home);
  chownSync(home, OTHER_UID, OTHER_UID);
  chmodSync(home, 0o777);
  for (const args of [['ping'], ['start', APP], ['resurrect']]) await refused(home, args, /is owned by uid 65534, not by you.*set DROVER_HOME/);
  assert.deepEqual(processesOf(home), [], 'no daemon or master started');
  assert.equal(statSync(home).mode & 0o7777, 0o777, 'mode left alone');
});

test('a home writable by its group is refused, even when it is ours', { skip: noOtherUser }, async (t) => {
  const { dir, track } = scratchDir(t);
  const home = track(path.join(dir, 'home'));
  mkdirSync(home);
  chmodSync(home, 0o770);
  await refused(home, ['ping'], /is writable by its group \(mode 770\)/);
  assert.equal(statSync(home).mode & 0o7777, 0o770, 'never chmod a directory drover did not create');
});

test('a root-owned 1777 directory (like /tmp) given as home is refused and keeps its mode', async (t) => {
  const { dir, track } = scratchDir(t);
  const home = track(path.join(dir, 'tmp-like'));
  mkdirSync(home);
  chmodSync(home, 0o1777);
  await refused(home, ['ping'], /is writable by others \(mode 1777\)/);
  assert.equal(statSync(home).mode & 0o7777, 0o1777, 'the shared directory was chmod\'ed');
  assert.equal(existsSync(path.join(home, 'apps')), false, 'nothing created in it');
});

test('a symlinked home is refused, even when the target is ours', async (t) => {
  const { dir, track } = scratchDir(t);
  const real = path.join(dir, 'real');
  mkdirSync(real, { mode: 0o700 });
  const home = track(path.join(dir, 'link'));
  symlinkSync(real, home);
  await refused(home, ['ping'], /is a symbolic link/);
  assert.deepEqual(processesOf(home), []);
});

test('a home below a directory another user owns is refused (they could swap it)', { skip: noOtherUser }, async (t) => {
  const { dir, track } = scratchDir(t);
  const theirs = path.join(dir, 'theirs');
  mkdirSync(theirs, { mode: 0o755 });
  chownSync(theirs, OTHER_UID, OTHER_UID);
  const home = track(path.join(theirs, 'home'));
  mkdirSync(home, { mode: 0o700 });
  await refused(home, ['ping'], /a parent directory, is owned by uid 65534/);
  assert.deepEqual(processesOf(home), []);
});

test('as another user: a home owned by root is refused with exit 113', { skip: noOtherUser }, async (t) => {
  const { dir, track } = scratchDir(t);
  chmodSync(dir, 0o755);
  const home = track(path.join(dir, 'roots'));
  mkdirSync(home, { mode: 0o755 });
  const r = await run([...asOther, process.execPath, CLI, 'ping'], { env: { PATH: process.env.PATH, DROVER_HOME: home, NO_COLOR: '1' }, timeoutMs: 20_000 });
  assert.equal(r.code, 113, r.stderr);
  assert.match(errorLine(r.stderr) ?? '', /is owned by root, not by you \(uid 65534\).*\[DROVER_E_HOME_UNSAFE\]$/);
});

test('a daemon.sock owned by another user gets no launch record (no env, no secret)', { skip: noOtherUser }, async (t) => {
  const { dir, track } = scratchDir(t);
  const home = track(path.join(dir, 'home'));
  mkdirSync(home, { mode: 0o700 });
  // The planted "daemon": records everything it is sent.
  let received = '';
  const server = net.createServer((s) => s.on('data', (c) => (received += c.toString('latin1'))));
  const socket = path.join(home, 'daemon.sock');
  await new Promise((resolve) => server.listen(socket, resolve));
  t.after(() => server.close());
  chmodSync(socket, 0o777);
  lchownSync(socket, OTHER_UID, OTHER_UID);
  await refused(home, ['start', APP, '--name', 'victim'], /refusing to talk to .*daemon\.sock: it is a socket owned by uid 65534, not by you/, { API_TOKEN: 'tok-planted-123' });
  assert.equal(received, '', 'something was sent to the planted socket');
  assert.deepEqual(processesOf(home), []);
});

test('a safe home is accepted: created 0700, an existing 0755 home of ours is used as it is', async (t) => {
  const { dir, track } = scratchDir(t);
  const fresh = track(path.join(dir, 'new', 'home'));
  const r = await cli(fresh, ['ping'], { timeoutMs: 20_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(statSync(fresh).mode & 0o777, 0o700);
  await cli(fresh, ['kill']);
  const open = track(path.join(dir, 'open'));
  mkdirSync(open, { mode: 0o755 });
  chmodSync(open, 0o755);
  const r2 = await cli(open, ['ping'], { timeoutMs: 20_000 });
  assert.equal(r2.code, 0, r2.stderr);
  assert.equal(statSync(open).mode & 0o777, 0o755, 'not chmod\'ed');
  await cli(open, ['kill']);
});
