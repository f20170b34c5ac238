// The file backend's log: records with checksums, a torn or damaged record
// cuts the log there, compaction keeps the live entries and the rev.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileBackend } from '../../dist/state/file-backend.js';

function dirFor(t) {
  const dir = mkdtempSync(path.join(tmpdir(), 'drover-log-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const put = (key, json, version, rev) => ({ type: 'put', entry: { key, json, version, rev } });

/** A backend over a table, as the server drives it: append, then the table takes the change. */
function open(dir, events = {}) {
  const table = new Map();
  const b = fileBackend(dir, () => table.values(), events);
  const loaded = b.load();
  for (const e of loaded.entries) table.set(e.key, e);
  return {
    b,
    table,
    rev: loaded.rev,
    write(c) {
      b.append(c);
      if (c.type === 'put') table.set(c.entry.key, c.entry);
      else table.delete(c.key);
    },
  };
}

test('changes survive a reopen (deletes too); the rev never goes back', (t) => {
  const dir = dirFor(t);
  let s = open(dir);
  assert.equal(s.rev, 0);
  s.write(put('a', '{"x":1}', 1, 1));
  s.write(put('b', '"two"', 1, 2));
  s.write(put('a', '[1,2]', 2, 3));
  s.write({ type: 'del', key: 'b', rev: 4 });
  s.b.close();
  s = open(dir);
  assert.equal(s.rev, 4);
  assert.deepEqual([...s.table.values()], [{ key: 'a', json: '[1,2]', version: 2, rev: 3 }]);
  s.b.close();
});

test('a torn last record and a damaged one: the log is cut at the first bad record and the cut is reported', (t) => {
  const dir = dirFor(t);
  let s = open(dir);
  s.write(put('a', '1', 1, 1));
  s.write(put('b', '2', 1, 2));
  s.b.close();
  const file = path.join(dir, 'state.log');
  const good = statSync(file).size;
  const torn = '1234abcd {"r":3,"k":"c"';
  appendFileSync(file, torn);
  const cuts = [];
  s = open(dir, { truncated: (f, dropped, at) => cuts.push({ dropped, at }) });
  assert.deepEqual(cuts, [{ dropped: torn.length, at: good }]);
  assert.equal(statSync(file).size, good);
  assert.deepEqual([...s.table.keys()], ['a', 'b']);
  s.write(put('c', '3', 1, 3));
  s.b.close();

  // Flip a byte in the middle record: it and what follows are dropped, what came before stays.
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  lines[1] = lines[1].replace('"k":"b"', '"k":"B"');
  writeFileSync(file, lines.join('\n'));
  cuts.length = 0;
  s = open(dir, { truncated: (f, dropped, at) => cuts.push({ dropped, at }) });
  assert.equal(cuts.length, 1);
  assert.deepEqual([...s.table.keys()], ['a']);
  s.b.close();
});

test('compaction: a log of rewrites shrinks to the live entries, the rev and every value survive', (t) => {
  const dir = dirFor(t);
  const s = open(dir);
  const big = JSON.stringify('x'.repeat(10_000));
  let rev = 0;
  for (let i = 0; i < 600; i++) s.write(put(`k${i % 10}`, big, Math.floor(i / 10) + 1, ++rev));
  s.write({ type: 'del', key: 'k9', rev: ++rev });
  return new Promise((resolve) => setImmediate(resolve)).then(() => {
    const file = path.join(dir, 'state.log');
    // 600 records of ~10 KB were written; compaction keeps 9.
    assert.ok(statSync(file).size < 200_000, `compacted: ${statSync(file).size} bytes`);
    s.write(put('after', '1', 1, ++rev));
    s.b.close();
    const again = open(dir);
    assert.equal(again.rev, rev);
    assert.deepEqual([...again.table.keys()].sort(), ['after', 'k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8']);
    assert.equal(again.table.get('k3').version, 60);
    again.b.close();
  });
});

test('records with characters beyond ASCII (written as one string) load back whole, and appends after them too', (t) => {
  const dir = dirFor(t);
  const truncated = [];
  let s = open(dir, { truncated: (...a) => truncated.push(a) });
  s.write(put('clé', '"日本語 😀"', 1, 1));
  s.write(put('ascii', '{"n":1}', 1, 2));
  s.write(put('clé', '{"ü":"\\u2028"}', 2, 3));
  s.b.close();
  const lines = readFileSync(path.join(dir, 'state.log'), 'utf8').split('\n');
  assert.equal(lines.length, 4, 'three records, each ending in a newline');
  s = open(dir, { truncated: (...a) => truncated.push(a) });
  s.write({ type: 'del', key: 'ascii', rev: 4 });
  s.b.close();
  s = open(dir, { truncated: (...a) => truncated.push(a) });
  assert.equal(s.rev, 4);
  assert.deepEqual([...s.table.values()], [{ key: 'clé', json: '{"ü":"\u2028"}', version: 2, rev: 3 }]);
  assert.deepEqual(truncated, []);
  s.b.close();
});
