// The worker count check: far more workers than cores is refused before
// anything starts, unless forced.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { checkWorkerCount, MAX_WORKERS_PER_CORE, resolveSpec } from '../../dist/config/resolve.js';
import { fixture } from '../helpers/paths.js';

test('more than 4 workers per core is refused with DROVER_E_TOO_MANY_WORKERS, naming the limit and --force', () => {
  assert.equal(checkWorkerCount(8, false, '--instances', 2), 8);
  assert.throws(
    () => checkWorkerCount(1000, false, '--instances', 2),
    (err) => err.code === 'DROVER_E_TOO_MANY_WORKERS' && err.exitCode === 122 && /^--instances 1000 is more than 4 workers per core \(2 cores here, so at most 8\).*--force/.test(err.message),
  );
  assert.equal(checkWorkerCount(1000, true, '--instances', 2), 1000);
});

test('resolveSpec applies it: the command line names the flag, force lets it through', () => {
  const many = MAX_WORKERS_PER_CORE * availableParallelism() + 1;
  const script = fixture('daemon-app.js');
  assert.throws(() => resolveSpec({ script, instances: many }, 'command line'), (err) => err.code === 'DROVER_E_TOO_MANY_WORKERS' && err.message.startsWith(`--instances ${many} `));
  assert.equal(resolveSpec({ script, instances: many, force: true }, 'command line').instances, many);
});
