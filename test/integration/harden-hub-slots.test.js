// Idle connections to the message hub cannot lock workers out (issue 15):
// with 100 connections that never say hello (reopened whenever the hub closes
// one), new workers' first send() still reaches the master.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { collect, fixture, makeApp } from '../helpers/messaging.js';
import { waitFor } from '../helpers/wait.js';

test('100 idle unauthenticated connections: new workers still connect and their first send arrives', async (t) => {
  const reports = mkdtempSync(path.join(os.tmpdir(), 'drover-slots-'));
  t.after(() => rmSync(reports, { recursive: true, force: true }));
  const app = await makeApp(t, { script: fixture('harden/first-send.js'), instances: 1, env: { REPORT_DIR: reports }, options: { waitReady: false } });
  const got = collect(app.sup, 'first');
  await app.start();
  await waitFor(() => got.length === 1, { message: "worker 0's first message" });

  const socketPath = app.hub.socketPath;
  assert.ok(socketPath, 'the hub listens');
  const sockets = new Set();
  let squatting = true;
  let opened = 0;
  const squat = () => {
    if (!squatting || opened >= 20_000) return;
    opened++;
    const s = net.connect(socketPath);
    s.on('error', () => {});
    s.on('close', () => {
      sockets.delete(s);
      setTimeout(squat, 10);
    });
    sockets.add(s);
  };
  t.after(() => {
    squatting = false;
    for (const s of sockets) s.destroy();
  });
  for (let i = 0; i < 100; i++) squat();
  const waiting = () => {
    const u = app.hub.unauthenticated;
    return typeof u === 'number' ? u : u.size;
  };
  await waitFor(() => waiting() >= 64, { message: 'the hub to hold 64 connections waiting for a hello' });

  app.sup.scale(4);
  await waitFor(() => got.length === 4 || readdirSync(reports).length > 0, { timeoutMs: 20_000, message: 'the new workers to send their first message' });
  const errors = readdirSync(reports).map((f) => readFileSync(path.join(reports, f), 'utf8'));
  assert.deepEqual(errors, [], 'a first send failed');
  assert.deepEqual(got.map((m) => m.payload.slot).sort(), ['0', '1', '2', '3']);
  squatting = false;
  for (const s of sockets) s.destroy();
  await app.stop();
});
