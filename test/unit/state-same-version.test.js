// The redis backend's gate for compare-and-set attempts that cannot win
// (src/state/same-version.ts): a put with ifVersion v behind one with the same
// v on the same key waits for it and gets a conflict with what it wrote (or
// the conflict it got), without a trip to the backend; a failed first attempt
// lets the waiters go themselves; everything else is sent at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SameVersionGate } from '../../dist/state/same-version.js';

function backend() {
  const sent = [];
  const send = (op) =>
    new Promise((resolve, reject) => {
      sent.push({ op, resolve, reject });
    });
  return { sent, send };
}
const put = (key, ifVersion, json = '1') => ({ type: 'put', key, json, ifVersion });
const entry = (key, version, rev) => ({ key, json: '"w"', version, rev });

test('attempts at the version of one in flight wait for it and lose to what it wrote', async () => {
  const gate = new SameVersionGate();
  const { sent, send } = backend();
  const first = gate.write(put('k', 3), send);
  const later = [gate.write(put('k', 3), send), gate.write(put('k', 3), send)];
  assert.equal(sent.length, 1, 'only the first went to the backend');
  const won = { ok: true, change: { type: 'put', entry: entry('k', 4, 10) } };
  sent[0].resolve(won);
  assert.equal(await first, won);
  for (const out of await Promise.all(later)) assert.deepEqual(out, { ok: false, current: entry('k', 4, 10) });
  assert.equal(gate.size, 0);
});

test('when the first conflicts, the ones behind it get the same conflict', async () => {
  const gate = new SameVersionGate();
  const { sent, send } = backend();
  const first = gate.write(put('k', 3), send);
  const later = gate.write(put('k', 3), send);
  const lost = { ok: false, current: entry('k', 7, 12) };
  sent[0].resolve(lost);
  assert.equal(await first, lost);
  assert.equal(await later, lost);
  assert.equal(sent.length, 1);
});

test('when the first fails, the ones behind it are sent themselves', async () => {
  const gate = new SameVersionGate();
  const { sent, send } = backend();
  const first = gate.write(put('k', 3), send);
  const later = gate.write(put('k', 3), send);
  sent[0].reject(new Error('unreachable'));
  await assert.rejects(first, /unreachable/);
  for (let i = 0; i < 10 && sent.length < 2; i++) await Promise.resolve();
  assert.equal(sent.length, 2, 'the waiter went to the backend');
  const won = { ok: true, change: { type: 'put', entry: entry('k', 4, 11) } };
  sent[1].resolve(won);
  assert.equal(await later, won);
  assert.equal(gate.size, 0);
});

test('another version, another key, a plain put and a delete are sent at once', async () => {
  const gate = new SameVersionGate();
  const { sent, send } = backend();
  gate.write(put('k', 3), send);
  gate.write(put('k', 4), send);
  gate.write(put('j', 3), send);
  gate.write(put('k', undefined), send);
  gate.write({ type: 'del', key: 'k', ifVersion: 3 }, send);
  assert.equal(sent.length, 5);
  for (const s of sent) s.resolve({ ok: true, change: undefined });
  await new Promise((r) => setImmediate(r));
  assert.equal(gate.size, 0);
});
