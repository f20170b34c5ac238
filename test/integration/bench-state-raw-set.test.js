// The state benchmark's "raw floor + least work" peer (bench/apps/raw-set.js, issue 12): a bare Node
// process that does the least work of any set. It must do that work for real: a set at the writer's
// version is taken and bumps it, a stale version is refused with the current one, and a value that is
// not JSON is refused, so that its latency is the cost of a set's checks and not of an echo.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

const APP = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../bench/apps/raw-set.js');

/** One request, its reply line. */
function ask(socket, text) {
  return new Promise((resolve, reject) => {
    let got = '';
    const onData = (chunk) => {
      got += chunk;
      if (got.endsWith('\n')) {
        socket.off('data', onData).off('error', reject);
        resolve(got);
      }
    };
    socket.on('data', onData).once('error', reject);
    socket.write(text);
  });
}

test('raw-set checks the value and the version and answers the new version', async (t) => {
  const dir = tempDir(t, 'drs-');
  const sock = path.join(dir, 's.sock');
  const child = spawn(process.execPath, [APP, sock], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (s) => (out += s));
  await waitFor(() => out.includes('listening'), { message: 'raw-set to listen' });
  const socket = net.createConnection(sock);
  socket.setEncoding('utf8');
  t.after(() => socket.destroy());
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));

  assert.equal(await ask(socket, '{"k":"a","v":0}\n{"i":1}\n'), '{"ok":1,"v":1}\n');
  assert.equal(await ask(socket, '{"k":"a","v":1}\n{"i":2}\n'), '{"ok":1,"v":2}\n');
  // Stale: the writer holds 1, the key is at 2.
  assert.equal(await ask(socket, '{"k":"a","v":1}\n{"i":3}\n'), '{"ok":0,"v":2}\n');
  assert.equal(await ask(socket, '{"k":"a","v":2}\n{"i":\n'), '{"ok":2,"v":0}\n');
  // Another key starts at 0; a request split across writes is answered once whole.
  socket.write('{"k":"b",');
  assert.equal(await ask(socket, '"v":0}\n[1,2]\n'), '{"ok":1,"v":1}\n');
});
