// A put's log record from the reused buffer (src/state/put-record.ts) is byte
// for byte the record the string path writes, and the log loads it back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PutRecords } from '../../dist/state/put-record.js';
import { crc32Text } from '../../dist/state/crc32.js';
import { fileBackend } from '../../dist/state/file-backend.js';

const expected = (e) => {
  const json = `{"r":${e.rev},"k":${JSON.stringify(e.key)},"v":${e.version},"d":${e.json}}`;
  return `${crc32Text(json).toString(16).padStart(8, '0')} ${json}\n`;
};

test('the buffer record equals the string record: ASCII, UTF-8, escapes, big numbers', () => {
  const r = new PutRecords();
  const entries = [
    { key: 'bench:set', json: '{"i":1,"hello":"world"}', version: 1, rev: 1 },
    { key: 'ключ', json: '"zürich ☃ \ud83d\ude00"', version: 12, rev: 9_007_199_254_740_991 },
    { key: 'a"b\\c\nd', json: '[1,2,{"x":null}]', version: 3, rev: 40 },
    { key: 'x', json: `"${'y'.repeat(5000)}"`, version: 7, rev: 123456 },
  ];
  for (const e of entries) {
    const n = r.encode(e);
    assert.equal(r.bytes.toString('utf8', 0, n), expected(e), e.key);
    assert.equal(n, Buffer.byteLength(expected(e)));
  }
  assert.equal(r.encode({ key: 'big', json: `"${'z'.repeat(20_000)}"`, version: 1, rev: 1 }), -1);
});

test('a log of buffer records (and a large string one) loads back after close', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drover-put-record-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const live = new Map();
  const b = fileBackend(dir, () => live.values());
  b.load();
  const puts = [
    { key: 'k1', json: '{"a":1}', version: 1, rev: 1 },
    { key: 'k2', json: '"é"', version: 1, rev: 2 },
    { key: 'k3', json: `"${'q'.repeat(20_000)}"`, version: 1, rev: 3 },
    { key: 'k1', json: '{"a":2}', version: 2, rev: 4 },
  ];
  for (const e of puts) {
    b.append({ type: 'put', entry: e });
    live.set(e.key, e);
  }
  b.close();
  const text = fs.readFileSync(path.join(dir, 'state.log'), 'utf8');
  assert.equal(text, puts.map(expected).join(''));
  const again = fileBackend(dir, () => []).load();
  assert.equal(again.rev, 4);
  assert.deepEqual([...again.entries].map((e) => [e.key, e.json, e.version]), [['k1', '{"a":2}', 2], ['k2', '"é"', 1], ['k3', `"${'q'.repeat(20_000)}"`, 1]]);
});
