// A fake systemd NOTIFY_SOCKET for tests: a python3 unix datagram receiver
// (Node cannot bind one) whose messages are collected here, each stamped with
// the time it arrived. Ended by the test's t.after.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fixture } from './drover.js';
import { waitFor, withTimeout } from './wait.js';

/** Why the notify tests cannot run here, or undefined. */
export function notifySkipReason() {
  if (process.platform !== 'linux') return 'not Linux';
  if (spawnSync('python3', ['-c', 'import socket; socket.AF_UNIX'], { stdio: 'ignore' }).status !== 0) return 'python3 is not installed';
  if (spawnSync('/usr/bin/systemd-notify', ['--help'], { stdio: 'ignore' }).status !== 0) return '/usr/bin/systemd-notify is not installed';
  return undefined;
}

export async function notifyReceiver(t) {
  const dir = mkdtempSync(path.join(tmpdir(), 'drover-notify-'));
  const socket = path.join(dir, 'notify.sock');
  const child = spawn('python3', [fixture('platform/notify-receiver.py'), socket], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((resolve) => child.on('close', resolve));
  t.after(async () => {
    child.kill('SIGKILL');
    await withTimeout(exited, 5_000, 'the notify receiver to exit').catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });
  const messages = [];
  let bound = false;
  let stderr = '';
  let buffer = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (c) => (stderr += c));
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    buffer += chunk;
    for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
      const record = JSON.parse(buffer.slice(0, nl));
      buffer = buffer.slice(nl + 1);
      if (record.bound) bound = true;
      else messages.push({ ...record, receivedAt: Date.now() });
    }
  });
  await waitFor(() => bound, { timeoutMs: 10_000, message: `the notify receiver to bind (stderr: ${stderr})` });
  const has = (key, value) => (m) => m.fields[key] === value;
  return {
    socket,
    messages,
    /** Index of the first message at or after `from` that has key=value. */
    indexOf: (key, value, from = 0) => messages.findIndex((m, i) => i >= from && has(key, value)(m)),
    waitFor: (key, value, { from = 0, timeoutMs = 20_000 } = {}) =>
      waitFor(
        () => {
          const i = messages.findIndex((m, j) => j >= from && has(key, value)(m));
          return i >= 0 ? i + 1 : 0;
        },
        { timeoutMs, message: `${key}=${value} on the notify socket (got ${JSON.stringify(messages.map((m) => m.fields))})` },
      ).then((n) => n - 1),
  };
}
