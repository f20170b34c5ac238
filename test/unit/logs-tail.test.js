import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tailLines, follow } from '../../dist/logs/tail.js';
import { RotatingFile } from '../../dist/logs/rotating-file.js';
import { tempDir as makeTempDir } from '../helpers/tmp.js';
import { holdsFor, waitFor } from '../helpers/wait.js';

const tempDir = (t) => makeTempDir(t, 'drover-tail-');
const until = (check, message, timeoutMs = 5000) => waitFor(check, { timeoutMs, intervalMs: 10, message });

test('tailLines: last n lines, across block boundaries', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'a.log');
  const lines = Array.from({ length: 20000 }, (_, i) => `line ${i} ${'.'.repeat(i % 37)}`);
  writeFileSync(file, lines.join('\n') + '\n');
  assert.deepEqual(await tailLines(file, 3), lines.slice(-3));
  assert.deepEqual(await tailLines(file, 5000), lines.slice(-5000));
  assert.deepEqual(await tailLines(file, 1), [lines.at(-1)]);
  assert.deepEqual(await tailLines(file, 0), []);
});

test('tailLines: short files, no trailing newline, CRLF, empty and missing files', async (t) => {
  const dir = tempDir(t);
  const f = path.join(dir, 'b.log');
  writeFileSync(f, 'one\ntwo\nthree');
  assert.deepEqual(await tailLines(f, 2), ['two', 'three']);
  assert.deepEqual(await tailLines(f, 10), ['one', 'two', 'three']);
  writeFileSync(f, 'a\r\nb\r\n');
  assert.deepEqual(await tailLines(f, 10), ['a', 'b']);
  writeFileSync(f, '\n\nx\n');
  assert.deepEqual(await tailLines(f, 10), ['', '', 'x']);
  writeFileSync(f, '');
  assert.deepEqual(await tailLines(f, 10), []);
  assert.deepEqual(await tailLines(path.join(dir, 'missing.log'), 10), []);
});

test('tailLines: a huge line does not make it read the whole file', async (t) => {
  const dir = tempDir(t);
  const f = path.join(dir, 'huge.log');
  writeFileSync(f, 'first\n' + 'h'.repeat(4 * 1024 * 1024) + '\nlast\n');
  const out = await tailLines(f, 2, { maxLineBytes: 1024 });
  assert.equal(out.length, 2);
  assert.equal(out[1], 'last');
  assert.ok(out[0].length <= 1024);
  assert.match(out[0], /^…h+$/);
});

test('follow: new lines, partial writes, then --lines N with no gap or repeat', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'f.log');
  writeFileSync(file, 'old 1\nold 2\nold 3\n');
  const seen = [];
  const f = follow(file, (l) => void seen.push(l), { lines: 2, pollMs: 20 });
  t.after(() => f.close());
  await until(() => seen.length === 2, 'the last 2 lines');
  assert.deepEqual(seen, ['old 2', 'old 3']);
  appendFileSync(file, 'new 1\nnew ');
  await until(() => seen.length === 3, 'new 1');
  appendFileSync(file, '2\n');
  await until(() => seen.length === 4, 'new 2');
  assert.deepEqual(seen.slice(2), ['new 1', 'new 2']);
  await f.close();
  appendFileSync(file, 'after close\n');
  // Under test: nothing arrives after close() resolved, over three poll intervals.
  await holdsFor(() => seen.length === 4, 60, { message: 'no line after close' });
});

test('follow: survives rotation by rename and truncation', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'r.log');
  writeFileSync(file, '');
  const seen = [];
  // fromStart: the file is empty, so a line appended before the follower's first open is read all the same.
  const f = follow(file, (l) => void seen.push(l), { pollMs: 20, fromStart: true });
  t.after(() => f.close());
  appendFileSync(file, 'before rotation\n');
  await until(() => seen.length === 1, 'first line');
  appendFileSync(file, 'last of old file\n');
  renameSync(file, path.join(dir, 'r__rotated.log'));
  writeFileSync(file, 'first of new file\n');
  await until(() => seen.length === 3, 'lines around the rotation');
  assert.deepEqual(seen, ['before rotation', 'last of old file', 'first of new file']);
  truncateSync(file, 0);
  // Shorter than what the file held, so the next poll sees size < position (a truncation)
  // whether it comes before or after this append.
  appendFileSync(file, 'after truncate\n');
  await until(() => seen.length === 4, 'line after truncation');
  assert.equal(seen[3], 'after truncate');
});

test('follow: a file that does not exist yet is picked up when created', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'later.log');
  const seen = [];
  const f = follow(file, (l) => void seen.push(l), { pollMs: 20, lines: 5 });
  t.after(() => f.close());
  // Under test: while the file does not exist nothing is reported (and the follower
  // polls a few times, so the file is really created after it started).
  await holdsFor(() => seen.length === 0, 3 * 20, { message: 'no line before the file exists' });
  writeFileSync(file, 'hello\n');
  await until(() => seen.length === 1, 'hello');
  assert.deepEqual(seen, ['hello']);
});

test('follow: a slow consumer is awaited (backpressure) and sees every line of a rotating writer', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'w.log');
  writeFileSync(file, '');
  const sink = new RotatingFile({ file, rotate: { maxSize: 4000, keep: 50 } });
  const seen = [];
  let busy = 0;
  let maxBusy = 0;
  const f = follow(
    file,
    async (l) => {
      busy++;
      maxBusy = Math.max(maxBusy, busy);
      // The slow consumer under test: every 100th line takes a timer tick.
      if (seen.length % 100 === 0) await new Promise((r) => setTimeout(r, 1));
      seen.push(l);
      busy--;
    },
    // fromStart: the file is empty, so lines written before the follower's first open are read too.
    { pollMs: 10, fromStart: true },
  );
  t.after(() => f.close());
  for (let i = 0; i < 1000; i++) {
    sink.write(`${i}\n`);
    if (i % 100 === 0) await sink.flush();
  }
  await sink.close();
  await until(() => seen.length === 1000, `1000 lines (have ${seen.length})`, 10000);
  assert.deepEqual(seen.map(Number), Array.from({ length: 1000 }, (_, i) => i));
  assert.equal(maxBusy, 1, 'onLine is never called again before the previous call settles');
});
