// examples/config-push: the agent watches a JSON file and writes it to the
// store; every worker answers with the current config; an edit reaches every
// worker, and a broken edit is refused while the workers keep the last good one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { example, runDrover, BOOT_TIMEOUT_MS } from '../helpers/drover.js';
import { request } from '../helpers/http.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

async function answers(port, n) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const res = await request({ port, path: '/' });
    out.push(JSON.parse(res.body));
  }
  return out;
}

test('config-push: every worker serves the file; an edit (written in place or renamed over) reaches every worker', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'config.json');
  copyFileSync(example('config-push/config.json'), file);
  const d = runDrover(t, [example('config-push/server.js'), '-i', '3', '--agent', example('config-push/agent.js'), '--wait-ready', '--state-backend', 'memory', '--heartbeat-interval-ms', '0'], {
    env: { PORT: '0', CONFIG_FILE: file },
  });
  const port = await d.ready();
  const everyWorker = (pred) => async () => {
    const seen = new Map();
    for (const a of await answers(port, 9)) seen.set(a.worker, a);
    return seen.size === 3 && [...seen.values()].every(pred);
  };
  assert.ok(await everyWorker((a) => a.config.color === 'blue')(), 'the first config at every worker, from the first request on');

  writeFileSync(file, JSON.stringify({ greeting: 'hello', color: 'red' }));
  await waitFor(everyWorker((a) => a.config.color === 'red'), { timeoutMs: BOOT_TIMEOUT_MS, message: 'red at every worker' });

  // An editor's save: a new file renamed over the old one.
  writeFileSync(`${file}.tmp`, JSON.stringify({ greeting: 'hi', color: 'green' }));
  renameSync(`${file}.tmp`, file);
  await waitFor(everyWorker((a) => a.config.color === 'green'), { timeoutMs: BOOT_TIMEOUT_MS, message: 'green at every worker' });

  // A broken edit: refused by the agent, the workers keep green.
  writeFileSync(file, '{ "color": ');
  await waitFor(() => /config\.json is not valid JSON .*keeping the previous config/.test(d.stderr), { timeoutMs: BOOT_TIMEOUT_MS, message: "the agent's refusal" });
  assert.ok(await everyWorker((a) => a.config.color === 'green')());
  d.signal('SIGTERM');
  assert.equal((await d.wait()).code, 0, d.stderr);
  await d.assertNothingLeft();
});
