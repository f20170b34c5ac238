// Bad input: each case gets one line `drover: <message> [CODE]` naming the
// problem and what to do, its own exit status, and nothing is left running.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { assertErrorLine, example, fixture, runDrover } from '../helpers/drover.js';

/** Runs drover to its end; checks exit status, the error line, and that nothing is left. */
async function expectFailure(t, args, { env = {}, code, exitCode, message, onlyLine = true }) {
  const d = runDrover(t, args, { env: { PORT: '0', ...env } });
  const exit = await d.wait();
  const line = assertErrorLine(d.stderr, { code, message });
  assert.equal(exit.code, exitCode, `exit status for ${code}; stderr: ${d.stderr}`);
  if (onlyLine) assert.equal(d.stderr, `${line}\n`, 'nothing but the one line on stderr');
  await d.assertNothingLeft();
  return d;
}

test('missing script → DROVER_E_SCRIPT_NOT_FOUND, exit 66', async (t) => {
  const d = await expectFailure(t, [fixture('no-such-app.js')], {
    code: 'DROVER_E_SCRIPT_NOT_FOUND',
    exitCode: 66,
    message: /no-such-app\.js does not exist: check the path/,
  });
  assert.equal(d.events('fork').length, 0);
});

test('a directory → DROVER_E_SCRIPT_IS_DIRECTORY, exit 67', async (t) => {
  await expectFailure(t, [fixture('a-directory')], {
    code: 'DROVER_E_SCRIPT_IS_DIRECTORY',
    exitCode: 67,
    message: /a-directory is a directory: name the file to run, e\.g\. .*a-directory\/index\.js/,
  });
});

test('a non-executable file without a JS extension → DROVER_E_SCRIPT_NOT_EXECUTABLE, exit 68', async (t) => {
  await expectFailure(t, [fixture('not-executable.txt')], {
    code: 'DROVER_E_SCRIPT_NOT_EXECUTABLE',
    exitCode: 68,
    message: /not-executable\.txt is neither a JavaScript file nor executable: chmod \+x it, or pass --interpreter/,
  });
});

for (const value of ['0', 'abc']) {
  test(`-i ${value} → DROVER_E_INVALID_OPTION, exit 65`, async (t) => {
    const d = await expectFailure(t, [example('hello.js'), '-i', value], { code: 'DROVER_E_INVALID_OPTION', exitCode: 65 });
    // The message names the option and says what is accepted.
    assert.match(d.errorLine(), /instances/);
    assert.match(d.errorLine(), /"max"/);
    assert.equal(d.events('fork').length, 0);
  });
}

test('an unknown option → DROVER_E_USAGE, exit 64', async (t) => {
  const d = await expectFailure(t, [example('hello.js'), '--bogus'], { code: 'DROVER_E_USAGE', exitCode: 64, message: /--bogus/ });
  assert.match(d.errorLine(), /drover run --help/);
});

test('a port already in use → DROVER_E_PORT_IN_USE, exit 69', async (t) => {
  const blocker = net.createServer();
  await new Promise((resolve, reject) => blocker.once('error', reject).listen(0, resolve));
  t.after(() => blocker.close());
  const { port } = blocker.address();
  const d = await expectFailure(t, [example('hello.js'), '-i', '2'], {
    env: { PORT: String(port) },
    code: 'DROVER_E_PORT_IN_USE',
    exitCode: 69,
    message: new RegExp(`${port} is already in use by another process: stop it, or give the app another port`),
  });
  // PORT is checked before any worker is forked (issue 16): nothing else is printed.
  assert.equal(d.events('fork').length, 0, 'no worker was started');
});

test('a worker that exits 1 at once → DROVER_E_WORKER_BOOT, exit 70, no restart', async (t) => {
  const d = await expectFailure(t, [fixture('crash-on-boot.js'), '-i', '2'], {
    code: 'DROVER_E_WORKER_BOOT',
    exitCode: 70,
    message: /exited with code 1 before it was ready/,
  });
  assert.equal(d.events('restart').length, 0);
  assert.ok(d.events('fork').length <= 2, 'no worker started beyond the first two');
});

test('a bad option value through the library throws before anything starts', async () => {
  const { supervise, DroverError } = await import('../../dist/index.js');
  for (const instances of [0, 'abc']) {
    assert.throws(
      () => supervise({ script: example('hello.js'), instances }, { logger: false }),
      (err) => err instanceof DroverError && err.code === 'DROVER_E_INVALID_OPTION' && err.exitCode === 65,
    );
  }
  assert.throws(
    () => supervise({ script: example('hello.js'), bogus: 1 }, { logger: false }),
    (err) => err instanceof DroverError && err.code === 'DROVER_E_INVALID_OPTION' && /bogus/.test(err.message),
  );
  assert.throws(
    () => supervise({ script: fixture('no-such-app.js') }, { logger: false }),
    (err) => err instanceof DroverError && err.code === 'DROVER_E_SCRIPT_NOT_FOUND',
  );
});
