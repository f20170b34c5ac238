// DROVER_TRACE (control/trace.ts): a warm `drover start` writes its timeline
// across the CLI, the daemon and the app master to one file, on one clock,
// in the order the start takes (docs/daemon.md); without it, no file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { APP, ok, makeHome } from '../helpers/daemon.js';

const STEPS = [
  'cli: main.js',
  'cli: master spawned',
  'cli: records ready',
  'daemon: start received',
  'cli: accepted',
  'master: record read',
  'master: supervisor.start()',
  'master: fork w1',
  'master: listening w1',
  'master: started',
  'daemon: ready',
  'cli: start replied',
];

test('a traced warm start: every step once, in order, from three processes', async (t) => {
  const home = makeHome(t);
  const file = path.join(home, 'trace.txt');
  const env = { PORT: '0', DROVER_TRACE: file };
  await ok(home, ['start', APP, '--name', 'cold', '-i', '1'], { env });
  await ok(home, ['delete', 'cold'], { env });
  const from = existsSync(file) ? readFileSync(file, 'utf8').length : 0;
  await ok(home, ['start', APP, '--name', 'web', '-i', '1'], { env });
  const lines = readFileSync(file, 'utf8')
    .slice(from)
    .trim()
    .split('\n')
    .map((l) => {
      const [at, pid, ...step] = l.split(' ');
      return { at: Number(at), pid: Number(pid), step: step.join(' ') };
    });
  const at = (step) => {
    const found = lines.filter((l) => l.step === step);
    assert.equal(found.length, 1, `${step} once in:\n${lines.map((l) => l.step).join('\n')}`);
    return found[0];
  };
  const steps = STEPS.map(at);
  assert.ok(at('master: process start').at >= at('cli: main.js').at - 1, 'the master is spawned by this CLI');
  for (let i = 1; i < steps.length; i++) assert.ok(steps[i].at >= steps[i - 1].at, `${STEPS[i - 1]} before ${STEPS[i]}`);
  assert.equal(new Set([at('cli: main.js').pid, at('daemon: start received').pid, at('master: record read').pid]).size, 3);
  // The app master spawned its process-group guard at its first line (runtime/group-guard.ts), before its record came.
});

test('no DROVER_TRACE: nothing written', async (t) => {
  const home = makeHome(t);
  await ok(home, ['start', APP, '--name', 'web', '-i', '1'], { env: { PORT: '0' } });
  assert.equal(existsSync(path.join(home, 'trace.txt')), false);
});
