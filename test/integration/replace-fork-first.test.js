// After a crash the replacement is forked before the rest of that step is
// carried out: when the master announces the exit and the restart (log lines,
// listeners), the new process already runs (issue 17: replacement time).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { example, superviseForTest } from '../helpers/drover.js';
import { childrenOf } from '../helpers/procs.js';

test("the replacement of a SIGKILLed worker is already forked when its 'exit' and 'restart' events are emitted", async (t) => {
  const app = await superviseForTest(t, { script: example('hello.js'), instances: 2, env: { PORT: '0' } });
  await app.ready();
  // Every child so far: the workers and the master's helpers (the group guard).
  const before = childrenOf(process.pid);
  const seen = {};
  // Synchronous listeners: they run inside the step that handles the exit.
  for (const name of ['exit', 'restart']) app.sup.once(name, () => (seen[name] = childrenOf(process.pid).filter((pid) => !before.includes(pid))));
  process.kill(app.sup.workers()[0].pid, 'SIGKILL');
  await app.waitEvent('fork', () => true, { count: 3 });
  assert.equal(seen.exit?.length, 1, `one new child when 'exit' was emitted (saw ${JSON.stringify(seen.exit)})`);
  assert.deepEqual(seen.restart, seen.exit, "the same new child when 'restart' was emitted");
  const replacement = app.events('fork')[2].pid;
  assert.equal(seen.exit[0], replacement, 'that child is the replacement');
  await app.stop();
});

test("the exited worker's cleanup (balancer counts, hub token, group guard) runs after its replacement's fork", async (t) => {
  const app = await superviseForTest(t, { script: example('hello.js'), instances: 2, env: { PORT: '0' } });
  await app.ready();
  const before = childrenOf(process.pid);
  const victim = app.sup.workers()[0];
  const seen = {};
  // Spies on the shell's cleanup calls (private members, reached from JS on purpose):
  // each records the children that exist when it runs for the victim.
  const spy = (name, target, method, isVictim) => {
    const original = target[method];
    target[method] = function (...args) {
      if (isVictim(...args) && !(name in seen)) seen[name] = childrenOf(process.pid).filter((pid) => !before.includes(pid));
      return original.apply(this, args);
    };
    t.after(() => (target[method] = original));
  };
  spy('forget', app.sup.broker.registry, 'forget', (wid) => wid === victim.wid);
  spy('hub', app.sup.hub, 'workerGone', (wid) => wid === victim.wid);
  spy('guard', app.sup.guard, 'remove', (pid) => pid === victim.pid);
  process.kill(victim.pid, 'SIGKILL');
  await app.waitEvent('fork', () => true, { count: 3 });
  const replacement = app.events('fork')[2].pid;
  for (const name of ['forget', 'hub', 'guard']) assert.deepEqual(seen[name], [replacement], `${name}: the replacement was already forked (saw ${JSON.stringify(seen[name])})`);
  await app.stop();
});
