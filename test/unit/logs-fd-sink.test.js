// logs/fd-sink.ts: the log file's destination without fs.createWriteStream
// (issue 17): a WriteStream's order, callbacks, back-pressure, errors and end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { FdSink, HIGH_WATER } from '../../dist/logs/fd-sink.js';
import { ROOT } from '../helpers/drover.js';
import { tempDir as makeTempDir } from '../helpers/tmp.js';

const tempDir = (t) => makeTempDir(t, 'drover-fd-sink-');
const once = (emitter, event) => new Promise((resolve) => emitter.once(event, resolve));
const ended = (sink) => new Promise((resolve) => sink.end(resolve));

test('writes land in order, each called back once, appended to what the file held', async (t) => {
  const file = path.join(tempDir(t), 'out.log');
  writeFileSync(file, 'before\n');
  const sink = new FdSink(file, 0o600);
  const done = [];
  const expected = ['before\n'];
  for (let i = 0; i < 300; i++) {
    const line = `${i} ${'x'.repeat((i * 37) % 5000)}\n`;
    expected.push(line);
    sink.write(Buffer.from(line), (err) => done.push(err ?? i));
  }
  const closed = once(sink, 'close');
  await ended(sink);
  await closed;
  assert.deepEqual(done, [...Array(300).keys()], 'every callback, in order, without an error');
  assert.equal(readFileSync(file, 'utf8'), expected.join(''));
});

test('a new file gets the mode asked for', async (t) => {
  const file = path.join(tempDir(t), 'new.log');
  const sink = new FdSink(file, 0o600);
  await new Promise((resolve, reject) => sink.write(Buffer.from('a\n'), (err) => (err ? reject(err) : resolve())));
  await ended(sink);
  assert.equal(statSync(file).mode & 0o777, 0o600);
});

test('back-pressure: false at the high-water mark, then drain once all is written', async (t) => {
  const sink = new FdSink(path.join(tempDir(t), 'bp.log'), 0o600);
  assert.equal(sink.write(Buffer.alloc(100, 97), () => {}), true, 'below the mark');
  let called = 0;
  const drained = once(sink, 'drain');
  assert.equal(sink.write(Buffer.alloc(HIGH_WATER, 98), () => called++), false, 'at the mark: wait for drain');
  await drained;
  assert.equal(called, 1, 'drain comes after the write that filled it was written');
  await ended(sink);
});

test('a file that cannot be opened: the write is called back with the error, error is emitted once, then close', async (t) => {
  const sink = new FdSink(path.join(tempDir(t), 'missing-dir', 'x.log'), 0o600);
  const errors = [];
  sink.on('error', (err) => errors.push(err));
  const closed = once(sink, 'close');
  const results = await Promise.all([0, 1, 2].map(() => new Promise((resolve) => sink.write(Buffer.from('line\n'), resolve))));
  await closed;
  assert.equal(errors.length, 1);
  assert.equal(errors[0].code, 'ENOENT');
  assert.ok(results.every((err) => err instanceof Error), 'no write reports success');
  assert.equal(sink.destroyed, true);
  const after = await new Promise((resolve) => sink.write(Buffer.from('late\n'), resolve));
  assert.equal(after.code, 'ERR_STREAM_DESTROYED');
});

test('destroy: writes not started are called back with ERR_STREAM_DESTROYED, close follows', async (t) => {
  const file = path.join(tempDir(t), 'd.log');
  const sink = new FdSink(file, 0o600);
  const results = [];
  for (let i = 0; i < 5; i++) sink.write(Buffer.from(`${i}\n`), (err) => results.push(err?.code ?? 'ok'));
  const closed = once(sink, 'close');
  sink.destroy();
  await closed;
  await new Promise((r) => setImmediate(r));
  assert.equal(results.length, 5, 'every write called back');
  // destroy() came before the (asynchronous) open completed: no write had started.
  assert.deepEqual(results, Array(5).fill('ERR_STREAM_DESTROYED'));
  assert.equal(readFileSync(file, 'utf8'), '', 'the open completed, then the descriptor was closed, nothing written');
});

test('a log file written and rotated loads neither node:fs/promises nor fs streams (issue 17)', (t) => {
  const dir = tempDir(t);
  const script = `
    const { RotatingFile } = require(${JSON.stringify(path.join(ROOT, 'dist/cjs/logs/rotating-file.js'))});
    const f = new RotatingFile({ file: ${JSON.stringify(path.join(dir, 'app.log'))}, rotate: { maxSize: 100, keep: 2 } });
    for (let i = 0; i < 20; i++) f.write('line ' + i + ' ' + 'y'.repeat(30) + '\\n');
    f.close().then(() => process.stdout.write(JSON.stringify({ stats: f.stats(), builtins: process.moduleLoadList })));
  `;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const { stats, builtins } = JSON.parse(r.stdout);
  assert.equal(stats.written, 20);
  assert.ok(stats.rotations >= 5, `rotated: ${stats.rotations}`);
  for (const m of ['internal/fs/streams', 'internal/fs/promises', 'fs/promises']) {
    assert.ok(!builtins.includes(`NativeModule ${m}`), `${m} is not loaded`);
  }
});
