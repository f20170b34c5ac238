import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createAppLog } from '../../dist/logs/app-log.js';
import { formatDate } from '../../dist/logs/format.js';
import { tempDir as makeTempDir } from '../helpers/tmp.js';

const tempDir = (t) => makeTempDir(t, 'drover-logs-');

const FIXED = Date.UTC(2024, 4, 1, 10, 20, 30, 456);
const read = (file) => readFileSync(file, 'utf8');

test('lines are prefixed with time and worker id, out and err in their own files', async (t) => {
  const dir = tempDir(t);
  const log = createAppLog({ dir, name: 'api', now: () => FIXED });
  log.write('out', 1, Buffer.from('hello\nworld\n'));
  log.write('err', 2, Buffer.from('oops\n'));
  log.writeLine('out', 'drover', 'worker 1 exited');
  await log.close();
  assert.equal(log.outFile, path.join(dir, 'api-out.log'));
  assert.equal(log.errorFile, path.join(dir, 'api-error.log'));
  assert.equal(read(log.outFile), '2024-05-01T10:20:30.456Z 1|hello\n2024-05-01T10:20:30.456Z 1|world\n2024-05-01T10:20:30.456Z drover|worker 1 exited\n');
  assert.equal(read(log.errorFile), '2024-05-01T10:20:30.456Z 2|oops\n');
  assert.deepEqual({ written: log.stats().written, dropped: log.stats().dropped }, { written: 4, dropped: 0 });
});

test('partial lines are joined per worker and stream, never mixed', async (t) => {
  const dir = tempDir(t);
  const log = createAppLog({ dir, name: 'p', now: () => FIXED });
  log.write('out', 1, Buffer.from('first half '));
  log.write('out', 2, Buffer.from('worker two '));
  log.write('err', 1, Buffer.from('err part '));
  log.write('out', 1, Buffer.from('second half\nnext '));
  log.write('out', 2, Buffer.from('done\n'));
  log.write('err', 1, Buffer.from('end\r\n'));
  log.write('out', 1, 'line\n');
  log.write('out', 3, 'no newline at exit');
  log.endWorker(3);
  await log.close();
  const out = read(log.outFile).split('\n').filter(Boolean).map((l) => l.slice(l.indexOf(' ') + 1));
  assert.deepEqual(out, ['1|first half second half', '2|worker two done', '1|next line', '3|no newline at exit']);
  assert.equal(read(log.errorFile).split(' ').slice(1).join(' '), '1|err part end\n');
});

test('a UTF-8 character split across chunks stays intact', async (t) => {
  const dir = tempDir(t);
  const log = createAppLog({ dir, name: 'u', now: () => FIXED });
  const bytes = Buffer.from('héllo €uro\n');
  for (let i = 0; i < bytes.length; i++) log.write('out', 1, bytes.subarray(i, i + 1));
  await log.close();
  assert.match(read(log.outFile), / 1\|héllo €uro\n$/);
});

test('an unfinished line longer than maxLineBytes is cut, memory stays bounded', async (t) => {
  const dir = tempDir(t);
  const log = createAppLog({ dir, name: 'long', maxLineBytes: 100, now: () => FIXED });
  for (let i = 0; i < 50; i++) log.write('out', 1, Buffer.alloc(30, 'x'));
  log.write('out', 1, '€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€\n'); // 3-byte characters
  await log.close();
  const lines = read(log.outFile).split('\n').filter(Boolean).map((l) => l.slice(l.indexOf('|') + 1));
  assert.ok(lines.length >= 15, String(lines.length));
  for (const l of lines) {
    assert.ok(Buffer.byteLength(l) <= 100, `line of ${Buffer.byteLength(l)} bytes`);
    assert.equal(l.includes('\uFFFD'), false, 'no character cut in half');
  }
  assert.equal(lines.join('').replace(/x/g, '').length, 50);
  assert.equal(lines.join('').replace(/€/g, '').length, 1500);
});

test('JSON lines', async (t) => {
  const dir = tempDir(t);
  const log = createAppLog({ dir, name: 'j', json: true, now: () => FIXED });
  log.write('out', 4, 'a "quoted" line\n');
  log.write('err', 4, 'bad\n');
  await log.close();
  assert.deepEqual(JSON.parse(read(log.outFile)), { time: '2024-05-01T10:20:30.456Z', worker: 4, stream: 'out', msg: 'a "quoted" line' });
  assert.deepEqual(JSON.parse(read(log.errorFile)), { time: '2024-05-01T10:20:30.456Z', worker: 4, stream: 'err', msg: 'bad' });
});

test('outFile == errorFile merges both streams into one file; relative names are taken from dir', async (t) => {
  const dir = tempDir(t);
  const log = createAppLog({ dir, name: 'm', outFile: 'all.log', errorFile: path.join(dir, 'all.log'), now: () => FIXED });
  log.write('out', 1, 'o\n');
  log.write('err', 1, 'e\n');
  await log.close();
  assert.equal(log.outFile, path.join(dir, 'all.log'));
  assert.equal(read(log.outFile).split('\n').filter(Boolean).length, 2);
  assert.equal(Object.keys(log.stats().files).length, 1);
});

test('dateFormat uses dayjs-style tokens', async (t) => {
  const d = new Date(2024, 0, 2, 3, 4, 5, 6); // local time
  assert.equal(formatDate(d, 'YYYY-MM-DD HH:mm:ss.SSS'), '2024-01-02 03:04:05.006');
  assert.equal(formatDate(d, 'YY/M/D h:m:s A [at] a'), '24/1/2 3:4:5 AM at am');
  assert.match(formatDate(d, 'Z|ZZ'), /^[+-]\d\d:\d\d\|[+-]\d{4}$/);
  assert.equal(formatDate(new Date(FIXED)), '2024-05-01T10:20:30.456Z');
  const dir = tempDir(t);
  const log = createAppLog({ dir, name: 'f', dateFormat: 'YYYY', now: () => d.getTime() });
  log.write('out', 1, 'x\n');
  await log.close();
  assert.equal(read(log.outFile), '2024 1|x\n');
});

test('close() writes what is left of unfinished lines', async (t) => {
  const dir = tempDir(t);
  const log = createAppLog({ dir, name: 'c', now: () => FIXED });
  log.write('out', 1, 'tail without newline');
  await log.close();
  assert.match(read(log.outFile), / 1\|tail without newline\n$/);
});

test("the agent's lines are labelled agent, in text and JSON, also when close() ends an unfinished one", async (t) => {
  const dir = tempDir(t);
  const text = createAppLog({ dir, name: 'a', now: () => FIXED });
  text.write('out', 'agent', Buffer.from('polled\nhalf'));
  await text.close();
  assert.equal(read(text.outFile), '2024-05-01T10:20:30.456Z agent|polled\n2024-05-01T10:20:30.456Z agent|half\n');
  const json = createAppLog({ dir, name: 'j', json: true, now: () => FIXED });
  json.write('err', 'agent', 'failed\n');
  json.writeLine('err', 'drover', 'agent (pid 1) exited: crashed with code 1');
  await json.close();
  assert.deepEqual(
    read(json.errorFile).split('\n').filter(Boolean).map((l) => JSON.parse(l).worker),
    ['agent', null],
  );
});
