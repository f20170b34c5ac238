import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { createAppLog } from '../../dist/logs/app-log.js';
import { RotatingFile, listRotated } from '../../dist/logs/rotating-file.js';
import { tempDir as makeTempDir } from '../helpers/tmp.js';

const tempDir = (t) => makeTempDir(t, 'drover-rotate-');

/** Every line of the live file and its rotated siblings, oldest first. */
async function allLines(file) {
  const parts = [];
  for (const r of await listRotated(file)) {
    const raw = readFileSync(r.path);
    parts.push((r.gzip ? gunzipSync(raw) : raw).toString('utf8'));
  }
  try {
    parts.push(readFileSync(file, 'utf8'));
  } catch {}
  return parts.join('').split('\n').filter(Boolean);
}

test('size rotation keeps exactly N rotated files, each within the limit, no line lost', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'app-out.log');
  const sink = new RotatingFile({ file, rotate: { maxSize: 1000, keep: 3 } });
  const line = (i) => `line ${String(i).padStart(5, '0')} ${'x'.repeat(40)}\n`; // 52 bytes
  for (let i = 0; i < 400; i++) sink.write(line(i));
  await sink.close();

  const rotated = await listRotated(file);
  assert.equal(rotated.length, 3, readdirSync(dir).join('\n'));
  const names = readdirSync(dir).sort();
  assert.equal(names.length, 4, names.join('\n'));
  for (const f of [file, ...rotated.map((r) => r.path)]) assert.ok(statSync(f).size <= 1000, `${f}: ${statSync(f).size}`);
  // The kept files are the newest, in order, and end with the last line written.
  const lines = await allLines(file);
  const numbers = lines.map((l) => Number(l.split(' ')[1]));
  assert.equal(numbers.at(-1), 399);
  for (let i = 1; i < numbers.length; i++) assert.equal(numbers[i], numbers[i - 1] + 1, 'contiguous: nothing lost inside the kept window');
  const st = sink.stats();
  assert.equal(st.written, 400);
  assert.equal(st.dropped, 0);
  assert.ok(st.rotations >= 20, String(st.rotations));
});

test('with keep large enough every line survives rotation', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'all.log');
  const sink = new RotatingFile({ file, rotate: { maxSize: 300, keep: 1000 } });
  // Writes arrive while rotations are in progress.
  for (let i = 0; i < 500; i++) {
    sink.write(`${i}\n`);
    if (i % 50 === 0) await new Promise((r) => setImmediate(r));
  }
  await sink.close();
  const lines = await allLines(file);
  assert.deepEqual(lines.map(Number), Array.from({ length: 500 }, (_, i) => i));
});

test('gzip: rotated files are valid gzip, N kept, content intact', async (t) => {
  const dir = tempDir(t);
  const log = createAppLog({ dir, name: 'gz', rotate: { maxSize: 2000, keep: 2, gzip: true } });
  for (let i = 0; i < 300; i++) log.write('out', 1, Buffer.from(`message number ${i}\n`));
  await log.close();
  const rotated = await listRotated(log.outFile);
  assert.equal(rotated.length, 2);
  for (const r of rotated) {
    assert.equal(r.gzip, true, r.path);
    const text = gunzipSync(readFileSync(r.path)).toString('utf8');
    assert.match(text, /^\S+ 1\|message number \d+\n/);
  }
  const names = readdirSync(dir);
  assert.equal(names.filter((n) => n.endsWith('.tmp')).length, 0, names.join(','));
  assert.equal(names.filter((n) => /^gz-out__.*\.log$/.test(n)).length, 0, 'no uncompressed leftovers');
  const lines = await allLines(log.outFile);
  assert.match(lines.at(-1), /message number 299$/);
});

test('daily rotation at the first write of a new day (fake clock)', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'd.log');
  let now = new Date(2024, 4, 1, 23, 59, 0).getTime();
  const sink = new RotatingFile({ file, rotate: { daily: true, keep: 5 }, now: () => now });
  sink.write('day one\n');
  await sink.flush();
  now = new Date(2024, 4, 2, 0, 0, 1).getTime();
  sink.write('day two\n');
  await sink.flush();
  sink.write('day two again\n');
  await sink.close();
  const rotated = await listRotated(file);
  assert.equal(rotated.length, 1);
  assert.match(path.basename(rotated[0].path), /^d__2024-05-02_00-00-01-000\.log$/);
  assert.equal(readFileSync(rotated[0].path, 'utf8'), 'day one\n');
  assert.equal(readFileSync(file, 'utf8'), 'day two\nday two again\n');
});

test('daily rotation of a file left from an earlier day (by its mtime)', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'old.log');
  writeFileSync(file, 'yesterday\n');
  const yesterday = new Date(Date.now() - 36 * 3600 * 1000);
  utimesSync(file, yesterday, yesterday);
  const sink = new RotatingFile({ file, rotate: { daily: true, keep: 5 } });
  sink.write('today\n');
  await sink.close();
  assert.equal(readFileSync(file, 'utf8'), 'today\n');
  const rotated = await listRotated(file);
  assert.equal(rotated.length, 1);
  assert.equal(readFileSync(rotated[0].path, 'utf8'), 'yesterday\n');
});

test('an existing file is appended to and counts toward maxSize', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'a.log');
  writeFileSync(file, 'x'.repeat(90) + '\n');
  const sink = new RotatingFile({ file, rotate: { maxSize: 100, keep: 2 } });
  sink.write('0123456789\n'); // 91 + 11 > 100: rotate first
  await sink.close();
  assert.equal(readFileSync(file, 'utf8'), '0123456789\n');
  assert.equal((await listRotated(file)).length, 1);
});

test('a line larger than maxSize goes alone into a fresh file', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'big.log');
  const sink = new RotatingFile({ file, rotate: { maxSize: 50, keep: 10 } });
  sink.write('small\n');
  sink.write('y'.repeat(200) + '\n');
  sink.write('after\n');
  await sink.close();
  const rotated = await listRotated(file);
  assert.deepEqual(rotated.map((r) => readFileSync(r.path, 'utf8').length), [6, 201]);
  assert.equal(readFileSync(file, 'utf8'), 'after\n');
});

test('a destination that is not a regular file (/dev/null) is never rotated', async () => {
  const sink = new RotatingFile({ file: '/dev/null', rotate: { maxSize: 10, keep: 1 } });
  for (let i = 0; i < 20; i++) sink.write('discarded line\n');
  await sink.close();
  assert.equal(sink.stats().rotations, 0);
  assert.equal(sink.stats().written, 20);
  assert.ok(statSync('/dev/null').isCharacterDevice());
});

test('keep: 0 deletes rotated files', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'k0.log');
  const sink = new RotatingFile({ file, rotate: { maxSize: 20, keep: 0 } });
  for (let i = 0; i < 10; i++) sink.write('0123456789\n');
  await sink.close();
  assert.deepEqual(readdirSync(dir), ['k0.log']);
  assert.throws(() => new RotatingFile({ file, rotate: { maxSize: 20, keep: -1 } }), RangeError);
});
