// Issue 15: the agent's IPC channel has the same bound as a worker's. Its
// preload refuses an oversized process.send with DROVER_E_IPC_TOO_LARGE; an
// agent that writes one anyway (past the preload) has its channel cut and is
// replaced, while the workers keep serving and the master stays small.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fixture, runDrover } from '../helpers/drover.js';
import { request } from '../helpers/http.js';
import { waitFor } from '../helpers/wait.js';

function rssBytes(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m[1]) * 1024;
}

function outDir(t) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'drover-big-agent-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const sends = () => readdirSync(dir).filter((f) => f.startsWith('send-')).map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')));
  return { dir, sends };
}

test('an agent: a 10 MB process.send is refused with DROVER_E_IPC_TOO_LARGE (thrown or to the callback); a write past the preload cuts its channel and it is replaced', async (t) => {
  const { dir, sends } = outDir(t);
  // A long heartbeat timeout: the workers' loops are not the subject here.
  const d = runDrover(t, [fixture('big-send.js'), '-i', '2', '--agent', fixture('harden/big-agent.js'), '--heartbeat-timeout-ms', '60000'], { env: { PORT: '0', AGENT_OUT: dir } });
  const port = await d.ready();
  await waitFor(() => sends().length === 1, { message: "the agent's send results" });
  assert.deepEqual(sends()[0], { thrown: 'DROVER_E_IPC_TOO_LARGE', callback: 'DROVER_E_IPC_TOO_LARGE', small: 'sent' });
  assert.deepEqual(d.events('ipc-too-large'), [], 'the refused sends never reached the master');
  assert.deepEqual(d.events('agent-crash'), []);

  const [first] = d.events('agent-spawn');
  const before = rssBytes(d.pid);
  writeFileSync(path.join(dir, 'go'), '');
  const cut = await d.waitEvent('ipc-too-large');
  assert.equal(cut.agent, true);
  assert.equal(cut.pid, first.pid);
  assert.ok(cut.length > cut.limit);
  // Replaced: a new agent runs (and says what its sends did, as the first one did).
  await d.waitEvent('agent-spawn', (e) => e.pid !== first.pid);
  await waitFor(() => sends().length === 2, { message: "the replacement agent's send results" });
  // The workers kept serving throughout.
  for (let i = 0; i < 20; i++) assert.equal((await request({ port })).status, 200);
  const grown = rssBytes(d.pid) - before;
  assert.ok(grown < 64 * 1024 * 1024, `the master grew by ${Math.round(grown / 1048576)} MB`);
  assert.deepEqual(d.events('exit'), [], 'no worker was replaced');
  d.signal('SIGTERM');
  assert.equal((await d.wait()).code, 0);
});
