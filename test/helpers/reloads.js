// Issue 15: rolling reloads under load with a new connection per request. One
// test file per balancing mode calls this (each file has its own test timeout:
// ten reloads take about 50 s on a loaded 2-core machine).
import assert from 'node:assert/strict';
import { runDrover } from './drover.js';
import { countKinds, startLoad } from './load.js';
import { waitFor } from './wait.js';

export const RELOADS = 10;

export async function reloadsUnderLoad(t, { script, balance, node }) {
  const d = runDrover(t, [script, '-i', '2', '--balance', balance, '--kill-timeout-ms', '3000'], { env: { PORT: '0' }, ...(node ? { node } : {}) });
  const port = await d.ready();
  const load = startLoad({ port, loops: 20 });
  t.after(() => load.stop());
  for (let i = 1; i <= RELOADS; i++) {
    const before = load.stats.ok;
    d.signal('SIGHUP');
    const done = await d.waitEvent('reloaded', () => true, { count: i, timeoutMs: 20_000 });
    assert.equal(done.workers, 2);
    // Traffic between reloads, so that every reload happens under load.
    await waitFor(() => load.stats.ok > before + 20, { timeoutMs: 10_000, message: `traffic after reload ${i}` });
  }
  const { ok, failures } = await load.stop();
  d.signal('SIGTERM');
  assert.equal((await d.wait()).code, 0);
  assert.equal(d.events('reload-failed').length, 0);
  assert.deepEqual(countKinds(failures), {}, `${failures.length} of ${ok + failures.length} requests failed over ${RELOADS} reloads`);
}
