// Issue 16: a port taken from the start fails at once, before any worker is
// forked (PORT in the app's env), and the EADDRINUSE text of an app whose own
// port is taken is said once, with what to do; under `drover run` and `drover start`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { fixture, runDrover, example } from '../helpers/drover.js';
import { cli, makeHome } from '../helpers/daemon.js';

/** A server of the test's own holding a port on every address, as an app's listen(PORT) would. */
async function holdPort(t) {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, resolve));
  t.after(() => server.close());
  return server.address().port;
}

const count = (text, needle) => text.split(needle).length - 1;

test('drover run: PORT taken by another process fails at once (exit 69), no worker forked', async (t) => {
  const port = await holdPort(t);
  const d = runDrover(t, [example('hello.js'), '-i', '4'], { env: { PORT: String(port) } });
  const { code } = await d.wait({ timeoutMs: 30_000 });
  assert.equal(code, 69, d.stderr);
  assert.equal(d.events('fork').length, 0, 'no worker forked');
  assert.match(d.errorLine(), new RegExp(`^drover: PORT ${port} is already in use by another process: stop it, or give the app another port \\(checked before starting any worker\\) \\[DROVER_E_PORT_IN_USE\\]$`));
  assert.equal(count(d.stderr, 'in use'), 1, d.stderr);
});

test('drover run: an app whose own port (not PORT) is taken: EADDRINUSE said once, and what to do', async (t) => {
  const port = await holdPort(t);
  const d = runDrover(t, [fixture('fixed-port.js')], { env: { APP_PORT: String(port) } });
  const { code } = await d.wait({ timeoutMs: 60_000 });
  assert.equal(code, 69, d.stderr);
  // The app's own error reads as without drover: "listen EADDRINUSE: address already in use :::<port>", once.
  assert.equal(count(d.stderr, 'EADDRINUSE'), 1, d.stderr);
  assert.equal(count(d.stderr, `:${port}`), 2, `the app's error and drover's line name the port once each: ${d.stderr}`);
  assert.match(d.stderr, new RegExp(`listen EADDRINUSE: address already in use :::${port}\\n`));
  assert.match(d.errorLine(), new RegExp(`\\*:${port} is already in use by another process: stop it, or give the app another port.*\\[DROVER_E_PORT_IN_USE\\]$`));
});

test('drover start: PORT taken fails the start with the reason, said once', async (t) => {
  const port = await holdPort(t);
  const home = makeHome(t);
  const r = await cli(home, ['start', example('hello.js'), '--name', 'taken', '-i', '2'], { env: { PORT: String(port) }, timeoutMs: 60_000 });
  assert.notEqual(r.code, 0, r.stdout + r.stderr);
  const all = r.stdout + r.stderr;
  assert.equal(count(all, `PORT ${port} is already in use`), 1, all);
  assert.match(all, /DROVER_E_PORT_IN_USE/);
});
