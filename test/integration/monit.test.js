// drover monit in a pseudo-terminal (python3's pty module hosts it): the live
// table shows the daemon's app and its workers, q and Ctrl-C quit, and the
// terminal is restored (alternate screen left, cursor shown, cooked mode).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { CLI, cli, makeHome } from '../helpers/daemon.js';
import { fixture, ROOT } from '../helpers/drover.js';

function inPty(args, { env, waitFor, keys }) {
  return new Promise((resolve, reject) => {
    execFile(
      'python3',
      [path.join(ROOT, 'test/helpers/pty-run.py'), process.execPath, CLI, ...args],
      { env: { ...process.env, ...env, WAIT_FOR: JSON.stringify(waitFor), KEYS: keys }, timeout: 90_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}: ${stderr}`)) : resolve(JSON.parse(stdout))),
    );
  });
}

test('drover monit: live table of the apps in a terminal; q and Ctrl-C quit and restore the terminal', async (t) => {
  const home = makeHome(t);
  const started = await cli(home, ['start', fixture('metrics-app.js'), '--name', 'web', '-i', '2'], { env: { PORT: '0' } });
  assert.equal(started.code, 0, started.stderr);

  for (const keys of ['q', '\x03']) {
    const r = await inPty(['monit'], { env: { DROVER_HOME: home }, waitFor: ['web  running  2/2 ready', 'ready', 'events'], keys });
    assert.ok(r.seen, `the table never showed: ${JSON.stringify(r.output.slice(-800))}`);
    assert.equal(r.status, 0, r.output.slice(-500));
    assert.ok(r.output.startsWith('\x1b[?1049h\x1b[?25l'), 'alternate screen, cursor hidden');
    assert.ok(r.output.endsWith('\x1b[?25h\x1b[?1049l'), `left the alternate screen last: ${JSON.stringify(r.output.slice(-40))}`);
    assert.ok(r.rawWhileRunning, 'raw mode while it runs');
    assert.ok(r.restored, 'cooked mode (ICANON, ECHO) after it quit');
    assert.match(r.output, /worker 0 \(pid \d+\) ready|worker 1 \(pid \d+\) ready/, 'recent events');
  }

  const plain = await cli(home, ['monit']);
  assert.equal(plain.code, 0, plain.stderr);
  assert.match(plain.stdout, /^web {2}running {2}2\/2 ready$/m, 'not a terminal: one frame');
});
