// drover monit's frame: sparklines, history per worker slot, the frame cut to the terminal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HISTORY, record, renderFrame, sparkline } from '../../dist/cli/monit-render.js';

const app = (workers) => ({ name: 'web', phase: 'running', desired: 2, workers });
const worker = (slot, cpu, rss) => ({ slot, wid: slot + 1, pid: 100 + slot, phase: 'ready', role: 'active', uptimeMs: 65_000, restarts: slot, cpu, rss, lagMs: 1.2, connections: 0 });

test('sparkline scales to the largest sample, or to a fixed maximum; gaps stay blank', () => {
  assert.equal(sparkline([0, 50, 100]), '▁▅█');
  assert.equal(sparkline([0, 50, 100], 200), '▁▃▅');
  assert.equal(sparkline([undefined, 1]), ' █');
  assert.equal(sparkline([0, 0]), '▁▁');
});

test('history keeps the last samples per worker slot and forgets slots that are gone', () => {
  const history = new Map();
  for (let i = 0; i < HISTORY + 5; i++) record(history, [app([worker(0, i, 1e6), worker(1, 1, 2e6)])]);
  assert.equal(history.get('web/0').cpu.length, HISTORY);
  assert.equal(history.get('web/0').cpu.at(-1), HISTORY + 4);
  record(history, [app([worker(0, 1, 1e6)])]);
  assert.equal(history.has('web/1'), false);
});

test('the frame lists apps, workers and the latest events, within the terminal size', () => {
  const history = new Map();
  const apps = [app([worker(0, 10, 50 * 1048576), worker(1, 20, 60 * 1048576)])];
  record(history, apps);
  const events = Array.from({ length: 30 }, (_, i) => ({ app: 'web', at: 0, event: 'fork', level: 'info', text: `event ${i}` }));
  const lines = renderFrame(apps, history, events, { columns: 80, rows: 20 });
  assert.equal(lines.length, 20);
  assert.ok(lines.every((l) => l.length <= 80));
  assert.match(lines.join('\n'), /web {2}running {2}2\/2 ready/);
  assert.match(lines.join('\n'), /\n {2}1 {3}101 {6}ready {5}1m {4}1 {4}20\.0%/);
  assert.match(lines.at(-1), /event 29$/, 'the newest event last');
  assert.match(renderFrame([], new Map(), [], { columns: 80, rows: 20 }).join('\n'), /no running apps/);
});
