import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createAppLog } from '../../dist/logs/app-log.js';
import { RotatingFile } from '../../dist/logs/rotating-file.js';
import { tempDir as makeTempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

const tempDir = (t) => makeTempDir(t, 'drover-bp-');

/** A destination that accepts nothing until released: a stalled disk. */
function stalledStream() {
  const written = [];
  const held = [];
  let stalled = true;
  const stream = new Writable({
    highWaterMark: 1024,
    write(chunk, _enc, cb) {
      if (stalled) held.push(() => (written.push(chunk), cb()));
      else {
        written.push(chunk);
        cb();
      }
    },
  });
  return {
    stream,
    text: () => Buffer.concat(written).toString('utf8'),
    release() {
      stalled = false;
      for (const f of held.splice(0)) f();
    },
  };
}

// One turn of the event loop, not a wait for time: lets the sink's pump hand queued
// chunks to the (stalled) stream. The assertions after it hold at any speed.
const tick = () => new Promise((r) => setImmediate(r));

test('a stalled destination: buffering stays bounded, the rest is dropped and counted, then reported', async (t) => {
  const dir = tempDir(t);
  const dest = stalledStream();
  const log = createAppLog({ dir, name: 'slow', maxBufferBytes: 10_000, openStream: () => dest.stream, now: () => 0 });
  const total = 2000;
  let maxBuffered = 0;
  for (let i = 0; i < total; i++) {
    log.write('out', 1, Buffer.from(`line ${i} ${'z'.repeat(80)}\n`));
    maxBuffered = Math.max(maxBuffered, log.stats().bufferedBytes);
    if (i % 100 === 0) await tick();
  }
  await tick();
  const during = log.stats();
  assert.ok(maxBuffered <= 10_000, `buffered ${maxBuffered} bytes`);
  assert.ok(during.dropped > total / 2, `dropped ${during.dropped}`);
  assert.equal(during.written, 0);

  dest.release();
  await log.flush();
  const after = log.stats();
  assert.equal(after.dropped, during.dropped, 'nothing more is dropped once the destination drains');
  const lines = dest.text().split('\n').filter(Boolean);
  const notices = lines.filter((l) => / drover\|\d+ log line\(s\) \(\d+ bytes\) dropped/.test(l));
  assert.equal(notices.length, 1, notices.join('\n'));
  assert.equal(Number(/drover\|(\d+) log line/.exec(notices[0])[1]), after.dropped);
  // Every line is either written or counted as dropped; the notice is one extra line.
  assert.equal(after.written, total - after.dropped + 1);
  assert.equal(lines.length, after.written);
  await log.close();
});

test('the drop notice comes before the first line accepted after the stall (chronological)', async (t) => {
  const dir = tempDir(t);
  const dest = stalledStream();
  const sink = new RotatingFile({ file: path.join(dir, 'n.log'), maxBufferBytes: 100, openStream: () => dest.stream, dropNotice: (n) => `DROPPED ${n}\n` });
  sink.write('a'.repeat(60) + '\n');
  await tick();
  sink.write('b'.repeat(60) + '\n'); // over the bound: dropped
  sink.write('c'.repeat(60) + '\n'); // dropped
  assert.equal(sink.stats().dropped, 2);
  dest.release();
  await sink.flush();
  sink.write('after\n');
  await sink.close();
  assert.equal(dest.text(), `${'a'.repeat(60)}\nDROPPED 2\nafter\n`);
});

test('write errors (disk full) count the lost lines and the file is reopened', async (t) => {
  const dir = tempDir(t);
  let opens = 0;
  const good = [];
  const openStream = () => {
    opens++;
    if (opens === 1) {
      return new Writable({
        write(_chunk, _enc, cb) {
          cb(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }));
        },
      });
    }
    return new Writable({
      write(chunk, _enc, cb) {
        good.push(chunk);
        cb();
      },
    });
  };
  const errors = [];
  const sink = new RotatingFile({ file: path.join(dir, 'e.log'), openStream, retryMs: 10, onError: (e) => errors.push(e.code), dropNotice: (n) => `DROPPED ${n}\n` });
  sink.write('lost\n');
  // 'kept' is written once the first stream has failed, so it waits for the reopen (after retryMs).
  await waitFor(() => errors.length === 1, { message: 'the write error' });
  sink.write('kept\n');
  // Before close(): closing with a broken stream would count the queue as lost instead of retrying.
  await waitFor(() => Buffer.concat(good).toString().endsWith('kept\n'), { message: "'kept' in the reopened file" });
  await sink.close();
  assert.equal(errors[0], 'ENOSPC');
  assert.equal(opens, 2);
  assert.equal(Buffer.concat(good).toString(), 'DROPPED 1\nkept\n');
  assert.deepEqual({ written: sink.stats().written, dropped: sink.stats().dropped }, { written: 2, dropped: 1 });
});

test('real files: a fast writer under the bound loses nothing', async (t) => {
  const dir = tempDir(t);
  const log = createAppLog({ dir, name: 'fast', maxBufferBytes: 64 * 1024 });
  const total = 5000;
  for (let i = 0; i < total; i++) {
    log.write('out', i % 4, Buffer.from(`${i}\n`));
    if (i % 500 === 0) await log.flush();
  }
  await log.close();
  const st = log.stats();
  assert.equal(st.dropped, 0);
  assert.equal(st.written, total);
  assert.equal(readFileSync(log.outFile, 'utf8').split('\n').filter(Boolean).length, total);
});

test('close() gives up on a hung destination after its timeout and counts what was lost', async (t) => {
  const dir = tempDir(t);
  const dest = stalledStream();
  const log = createAppLog({ dir, name: 'hung', openStream: () => dest.stream });
  for (let i = 0; i < 100; i++) log.write('out', 1, `line ${i}\n`);
  log.write('out', 1, 'unfinished');
  const started = Date.now();
  await log.close(100);
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 90 && elapsed < 2000, `${elapsed} ms`);
  const st = log.stats();
  assert.equal(st.written, 0);
  assert.equal(st.dropped, 101);
  assert.equal(st.bufferedBytes, 0);
});
