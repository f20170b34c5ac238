// The daemon's StatSampler (daemon/stat-sampler.ts): `list` answers CPU and
// memory from samples the timer took ahead of the request, reads /proc at
// request time only for a pid with no recent sample, and stops reading a pid
// whose process is gone. A fake reader and clock; the timer is driven by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatSampler } from '../../dist/daemon/stat-sampler.js';

function fixture() {
  let now = 0;
  const reads = [];
  const alive = new Map([
    [11, { cpu: 1, memory: 100 }],
    [12, { cpu: 2, memory: 200 }],
  ]);
  const pruned = [];
  const sampler = new StatSampler({
    read: (pid) => {
      reads.push(pid);
      return alive.get(pid);
    },
    prune: (live) => pruned.push([...live]),
    now: () => now,
    intervalMs: 1000,
  });
  return { sampler, reads, alive, pruned, advance: (ms) => (now += ms) };
}

test('a tracked pid is answered from the last tick, with no read at request time', (t) => {
  const f = fixture();
  t.after(() => f.sampler.stop());
  assert.deepEqual(f.sampler.stats(11), { cpu: 1, memory: 100 }, 'first ask: read now');
  f.sampler.track(new Set([11, 12]));
  f.advance(1000);
  f.sampler.tick();
  assert.deepEqual(f.reads, [11, 11, 12]);
  f.alive.set(11, { cpu: 5, memory: 500 });
  f.advance(500);
  assert.deepEqual(f.sampler.stats(11), { cpu: 1, memory: 100 }, 'the sample, not a new read');
  assert.deepEqual(f.sampler.stats(12), { cpu: 2, memory: 200 });
  assert.equal(f.reads.length, 3, 'no read while answering');
  f.sampler.tick();
  assert.deepEqual(f.sampler.stats(11), { cpu: 5, memory: 500 }, 'the next tick is what the next list sees');
});

test('a sample older than two intervals (a held-up timer) or a new pid is read at request time', (t) => {
  const f = fixture();
  t.after(() => f.sampler.stop());
  f.sampler.track(new Set([11]));
  f.sampler.tick();
  f.advance(2001);
  f.alive.set(11, { cpu: 7, memory: 700 });
  assert.deepEqual(f.sampler.stats(11), { cpu: 7, memory: 700 });
  const before = f.reads.length;
  assert.deepEqual(f.sampler.stats(12), { cpu: 2, memory: 200 }, 'untracked: read now');
  assert.equal(f.reads.length, before + 1);
});

test('a pid whose process is gone drops out and is not read again; untracked pids are pruned', (t) => {
  const f = fixture();
  t.after(() => f.sampler.stop());
  f.sampler.track(new Set([11, 12]));
  assert.deepEqual(f.pruned.at(-1), [11, 12]);
  f.sampler.tick();
  f.alive.delete(12);
  f.sampler.tick();
  const n = f.reads.filter((p) => p === 12).length;
  f.sampler.tick();
  assert.equal(f.reads.filter((p) => p === 12).length, n, 'not read after its failed read');
  f.advance(100);
  assert.equal(f.sampler.stats(12), undefined);
  f.sampler.track(new Set([11]));
  assert.deepEqual(f.pruned.at(-1), [11], 'procstats forgets what the list no longer shows');
});

test('the timer runs only while pids are tracked, and never holds the process', (t) => {
  const f = fixture();
  t.after(() => f.sampler.stop());
  f.sampler.track(new Set([11]));
  const timer = f.sampler['timer'];
  assert.ok(timer, 'armed');
  assert.equal(timer.hasRef(), false, "unref'd");
  f.sampler.track(new Set());
  assert.equal(f.sampler['timer'], undefined, 'stopped with no pid');
});

test('the timer stops once no list came for idleStopMs, and a new list starts it again', (t) => {
  const f = fixture();
  t.after(() => f.sampler.stop());
  f.sampler.track(new Set([11]));
  f.advance(60_000);
  f.sampler.tick();
  assert.ok(f.sampler['timer'], 'still armed at the limit');
  const reads = f.reads.length;
  f.advance(1000);
  f.sampler.tick();
  assert.equal(f.sampler['timer'], undefined, 'stopped: nobody asked for a minute');
  assert.equal(f.reads.length, reads, 'the stopping tick reads nothing');
  f.alive.set(11, { cpu: 9, memory: 900 });
  f.advance(2001);
  assert.deepEqual(f.sampler.stats(11), { cpu: 9, memory: 900 }, 'a list after the pause reads at request time');
  f.sampler.track(new Set([11]));
  assert.ok(f.sampler['timer'], 'armed again');
});

// procstats' CPU window: reads every second with a 5 s window measure over 5-10 s.
import { cpuWindow } from '../../dist/daemon/procstats.js';

test('cpuWindow: reads every second over a 5 s window measure against a sample 5-10 s old', () => {
  const s = (at) => ({ ticks: at / 10, at, startTime: '7' });
  let kept;
  const windows = [];
  for (let at = 0; at <= 12_000; at += 1000) {
    const { ref, keep } = cpuWindow(kept, s(at), 5000);
    windows.push(ref ? at - ref.at : null);
    kept = keep;
  }
  // 0: new process (lifetime average); 1-4 s: since the first read; then 5-9 s, rotating at 5 s and 10 s.
  assert.deepEqual(windows, [null, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 5000, 6000, 7000]);
});

test('cpuWindow: the default window is the time since the previous read; a new start time starts over', () => {
  const s = (at, startTime = '7') => ({ ticks: 0, at, startTime });
  let { keep } = cpuWindow(undefined, s(0), 100);
  let r = cpuWindow(keep, s(3000), 100);
  assert.equal(r.ref.at, 0);
  r = cpuWindow(r.keep, s(3500), 100);
  assert.equal(r.ref.at, 3000, 'since the previous read');
  r = cpuWindow(r.keep, s(3550), 100);
  assert.equal(r.ref.at, 3000, 'a read 50 ms later: against the one before');
  r = cpuWindow(r.keep, s(4000, '9'), 100);
  assert.equal(r.ref, undefined, 'a reused pid: lifetime average');
});
