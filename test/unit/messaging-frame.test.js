// The frame codec of the message hub: header and payload encodings, and the
// errors a sender gets for payloads it cannot send. The stream splitter, one
// for both ends, is tested in messaging-frame-reader.test.js.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import {
  FLAG_BYTES,
  FLAG_JSON,
  FLAG_PAYLOAD,
  FLAG_TEXT,
  HEADER_BYTES,
  Kind,
  decodePayload,
  encodeEmpty,
  encodeFrame,
  encodeJson,
} from '../../dist/messaging/frame.js';
import { parseEnvelope } from '../../dist/messaging/envelope.js';

const fields = (over = {}) => ({ kind: Kind.send, seq: 7, ack: 0, to: 2, from: -1, topic: 'cache.invalidate', ...over });

function roundTrip(payload, mode = 'v8') {
  const frame = encodeFrame(fields(), payload, mode);
  const parsed = parseEnvelope(frame);
  assert.ok(parsed.ok, parsed.error);
  return { value: decodePayload(frame, parsed.envelope.payloadOffset), frame, envelope: parsed.envelope };
}

test('the header carries kind, seq, ack, addresses and topic; the length prefix counts the rest', () => {
  const frame = encodeFrame(fields({ ack: 5000, kind: Kind.request, to: -3 }), { a: 1 }, 'v8');
  assert.equal(frame.readUInt32BE(0), frame.length - 4);
  const { ok, envelope } = parseEnvelope(frame);
  assert.ok(ok);
  assert.deepEqual(
    { ch: envelope.ch, v: envelope.v, kind: envelope.kind, seq: envelope.seq, ack: envelope.ack, to: envelope.to, from: envelope.from, topic: envelope.topic },
    { ch: 'msg', v: 1, kind: Kind.request, seq: 7, ack: 5000, to: -3, from: -1, topic: 'cache.invalidate' },
  );
  assert.equal(envelope.payloadOffset, HEADER_BYTES + Buffer.byteLength('cache.invalidate'));
});

test('v8 mode: structured-clone types survive (Map, Set, Date, BigInt, typed arrays, Buffer, undefined, -0, cycles, shared references)', () => {
  const shared = { n: 1 };
  const input = {
    map: new Map([
      ['a', 1],
      [2, { b: [1, 2] }],
    ]),
    set: new Set(['x', 'y']),
    date: new Date('2024-02-29T12:00:00.000Z'),
    big: 2n ** 70n,
    f64: new Float64Array([1.5, -2.25]),
    u8: new Uint8Array([1, 2, 3]),
    buf: Buffer.from('héllo'),
    undef: undefined,
    negZero: -0,
    nan: NaN,
    nested: [undefined, null, 'π', 1e300],
    a: shared,
    b: shared,
    re: /ab+c/gi,
  };
  input.self = input;
  const { value } = roundTrip(input);
  assert.deepEqual(value.map, input.map);
  assert.deepEqual(value.set, input.set);
  assert.ok(value.date instanceof Date);
  assert.equal(value.date.toISOString(), '2024-02-29T12:00:00.000Z');
  assert.equal(value.big, 2n ** 70n);
  assert.ok(value.f64 instanceof Float64Array);
  assert.deepEqual([...value.f64], [1.5, -2.25]);
  assert.ok(value.u8 instanceof Uint8Array);
  assert.ok(Buffer.isBuffer(value.buf), 'a Buffer comes back as a Buffer');
  assert.equal(value.buf.toString(), 'héllo');
  assert.ok('undef' in value && value.undef === undefined);
  assert.ok(Object.is(value.negZero, -0));
  assert.ok(Number.isNaN(value.nan));
  assert.deepEqual(value.nested, [undefined, null, 'π', 1e300]);
  assert.equal(value.a, value.b, 'shared references stay shared');
  assert.equal(value.self, value, 'cycles survive');
  assert.ok(value.re instanceof RegExp);
});

test('strings travel as UTF-8 without a serialiser; lone surrogates fall back to an exact encoding', () => {
  const text = roundTrip('héllo wörld ✓ 🎉');
  assert.equal(text.value, 'héllo wörld ✓ 🎉');
  assert.equal(text.envelope.flags, FLAG_TEXT | FLAG_PAYLOAD);
  const lone = roundTrip('a\uD800b');
  assert.equal(lone.value, 'a\uD800b');
  assert.equal(lone.envelope.flags & FLAG_TEXT, 0);
  assert.equal(roundTrip('a\uDC00', 'json').value, 'a\uDC00');
  assert.equal(roundTrip('').value, '');
});

test('a Buffer travels as its bytes in v8 mode, and comes back as a Buffer', () => {
  const big = Buffer.alloc(100_000, 7);
  const { value, envelope } = roundTrip(big);
  assert.equal(envelope.flags, FLAG_BYTES | FLAG_PAYLOAD);
  assert.ok(Buffer.isBuffer(value));
  assert.ok(value.equals(big));
});

test('json mode: JSON semantics (a Map becomes {}, a Date a string), BigInt is a clear error', () => {
  const { value, envelope } = roundTrip({ m: new Map([[1, 2]]), d: new Date(0), n: 1 }, 'json');
  assert.equal(envelope.flags, FLAG_JSON | FLAG_PAYLOAD);
  assert.deepEqual(value, { m: {}, d: '1970-01-01T00:00:00.000Z', n: 1 });
  assert.throws(
    () => encodeFrame(fields(), { n: 1n }, 'json'),
    (err) => err.code === 'DROVER_E_MSG_SERIALIZE' && /cannot be serialised \(json\)/.test(err.message),
  );
  assert.throws(() => encodeFrame(fields(), () => 1, 'json'), { code: 'DROVER_E_MSG_SERIALIZE' });
});

test('undefined travels as "no payload"', () => {
  const { value, envelope } = roundTrip(undefined);
  assert.equal(value, undefined);
  assert.equal(envelope.flags, 0);
  assert.equal(envelope.payloadOffset, roundTrip(undefined).frame.length);
});

test('non-serialisable payloads are a DROVER_E_MSG_SERIALIZE error for the sender', () => {
  for (const payload of [() => 1, Symbol('s'), { f() {} }, new WeakMap()]) {
    assert.throws(() => encodeFrame(fields(), payload, 'v8'), { code: 'DROVER_E_MSG_SERIALIZE' }, String(typeof payload));
  }
});

test('a string is sized exactly whatever its UTF-8 widths: ASCII, then 2-, 3- and 4-byte characters from any position', () => {
  // The frame is first sized for one byte per UTF-16 unit (frame.ts, encodeText); a string that does not fit is
  // finished from where the write stopped, including a surrogate pair cut by the end of that first buffer.
  for (const wide of ['é', '✓', '🎉']) {
    for (const ascii of [0, 1, 2, 3, 5, 64, 1000]) {
      for (const count of [1, 2, 3, 7, 500]) {
        const text = 'a'.repeat(ascii) + wide.repeat(count) + 'z';
        const { value, frame, envelope } = roundTrip(text);
        assert.equal(value, text);
        assert.equal(envelope.flags, FLAG_TEXT | FLAG_PAYLOAD);
        assert.equal(frame.length, envelope.payloadOffset + Buffer.byteLength(text, 'utf8'));
        assert.equal(frame.readUInt32BE(0), frame.length - 4);
      }
    }
  }
});

test('a non-ASCII string within the limit in characters but not in bytes is DROVER_E_MSG_TOO_LARGE, naming its bytes', () => {
  assert.throws(
    () => encodeFrame(fields(), 'a'.repeat(1000) + 'é'.repeat(20), 'v8', 1024),
    (err) => err.code === 'DROVER_E_MSG_TOO_LARGE' && /1040 bytes exceeds the maximum message size of 1024 bytes/.test(err.message),
  );
  assert.doesNotThrow(() => encodeFrame(fields(), 'a'.repeat(1000) + 'é'.repeat(12), 'v8', 1024));
});

test('a payload above the maximum message size is DROVER_E_MSG_TOO_LARGE, naming both sizes', () => {
  assert.throws(
    () => encodeFrame(fields(), 'x'.repeat(2049), 'v8', 2048),
    (err) => err.code === 'DROVER_E_MSG_TOO_LARGE' && /2049 bytes exceeds the maximum message size of 2048 bytes/.test(err.message),
  );
  assert.throws(() => encodeFrame(fields(), { a: 'x'.repeat(4096) }, 'v8', 1024), { code: 'DROVER_E_MSG_TOO_LARGE' });
  assert.throws(() => encodeFrame(fields(), { a: 'x'.repeat(4096) }, 'json', 1024), { code: 'DROVER_E_MSG_TOO_LARGE' });
  assert.throws(() => encodeFrame(fields(), Buffer.alloc(1025), 'v8', 1024), { code: 'DROVER_E_MSG_TOO_LARGE' });
  // Exactly at the limit is fine.
  assert.doesNotThrow(() => encodeFrame(fields(), 'x'.repeat(1024), 'v8', 1024));
});

test('a topic longer than 255 bytes is refused', () => {
  assert.throws(() => encodeFrame(fields({ topic: 'é'.repeat(128) }), 1, 'v8'), { code: 'DROVER_E_MSG_INVALID' });
});

test('a payload that cannot be decoded is DROVER_E_MSG_SERIALIZE, not a crash', () => {
  const good = encodeFrame(fields(), { a: 1 }, 'v8');
  const bad = Buffer.from(good);
  bad.fill(0xff, HEADER_BYTES + 16);
  assert.throws(() => decodePayload(bad, HEADER_BYTES + 16), { code: 'DROVER_E_MSG_SERIALIZE' });
  const badJson = encodeJson(fields(), '{"a":');
  assert.throws(() => decodePayload(badJson, HEADER_BYTES + 16), { code: 'DROVER_E_MSG_SERIALIZE' });
  // Truncated v8 data.
  const v = v8.serialize({ long: 'x'.repeat(100) });
  const frame = Buffer.concat([encodeEmpty(fields()), v.subarray(0, 20)]);
  frame.writeUInt32BE(frame.length - 4, 0);
  frame[6] = FLAG_PAYLOAD;
  assert.throws(() => decodePayload(frame, HEADER_BYTES + 16), { code: 'DROVER_E_MSG_SERIALIZE' });
});

test('v8 mode: plain data travels as JSON (cheaper), anything JSON would change goes through v8', () => {
  const records = [{ id: 1, name: 'a', score: 1.5, active: true, tags: ['x'], none: null }, { id: 2, nested: { deep: [1, [2, 3]] } }];
  const plain = roundTrip(records);
  assert.equal(plain.envelope.flags, FLAG_JSON | FLAG_PAYLOAD);
  assert.deepEqual(plain.value, records);
  const proto = roundTrip(JSON.parse('{"__proto__":{"x":1}}'));
  assert.equal(proto.envelope.flags, FLAG_JSON | FLAG_PAYLOAD);
  assert.deepEqual(Object.keys(proto.value), ['__proto__']);
  const named = [1, 2];
  named.extra = 'kept';
  const shared = { n: 1 };
  const cycle = { a: 1 };
  cycle.self = cycle;
  class Point {
    constructor() {
      this.x = 1;
    }
  }
  const notJson = [
    { u: undefined },
    [1, , 3],
    named,
    { z: -0 },
    { n: NaN },
    { i: Infinity },
    { b: 1n },
    { d: new Date(0) },
    { m: new Map() },
    { t: new Uint8Array(2) },
    [shared, shared],
    cycle,
    new Point(),
    { s: new String('boxed') },
  ];
  for (const value of notJson) {
    const { envelope, value: back } = roundTrip(value);
    assert.equal(envelope.flags & FLAG_JSON, 0, `expected v8 for ${JSON.stringify(value, (k, v) => (typeof v === 'bigint' ? 'bigint' : v === cycle && k ? 'cycle' : v))}`);
    assert.deepStrictEqual(back, structuredClone(value));
  }
  const [a, b] = roundTrip([shared, shared]).value;
  assert.equal(a, b, 'a shared reference stays shared');
  // Past the first few dozen objects the walk remembers them in a Set (json-exact.ts): still exact.
  const many = Array.from({ length: 200 }, (_, i) => ({ i }));
  assert.equal(roundTrip(many).envelope.flags & FLAG_JSON, FLAG_JSON, '200 distinct objects: JSON');
  const late = [...many, many[3]];
  const back = roundTrip(late);
  assert.equal(back.envelope.flags & FLAG_JSON, 0, 'a shared reference after 200 objects: v8');
  assert.equal(back.value[200], back.value[3]);
  const emptyNamed = [];
  emptyNamed.x = 1;
  assert.equal(roundTrip(emptyNamed).envelope.flags & FLAG_JSON, 0, 'an empty array with a named property: v8');
  let deep = {};
  for (let i = 0; i < 100; i++) deep = { deep };
  assert.equal(roundTrip(deep).envelope.flags & FLAG_JSON, 0);
  const throwing = { get boom() { throw new Error('getter failed'); } };
  assert.throws(() => encodeFrame(fields(), throwing, 'v8'), /getter failed|could not be cloned|cannot be serialised/);
});

test('v8 mode: a value JSON would change goes through v8 in an array or an object, at any depth, before and after the walk switches to a Set', () => {
  const bad = [-0, NaN, Infinity, -Infinity, undefined, 1n, () => 1, Symbol('s')];
  const many = Array.from({ length: 100 }, (_, i) => ({ i, tags: ['t'] }));
  for (const v of bad) {
    for (const payload of [[1, v], { a: 1, b: v }, { a: [{ b: [v] }] }, [...many, { last: [v] }]]) {
      let flags;
      try {
        flags = encodeFrame(fields(), payload, 'v8')[6];
      } catch {
        continue; // v8 cannot clone a function or a symbol: that error is v8's, not JSON's
      }
      assert.equal(flags & FLAG_JSON, 0, `${String(v)} must not travel as JSON`);
    }
  }
  // The finite values that JSON keeps as they are, 0 included, stay JSON.
  assert.equal(roundTrip([0, -1.5, Number.MAX_VALUE, Number.MIN_VALUE, { z: 0 }]).envelope.flags & FLAG_JSON, FLAG_JSON);
  // A shared array past the Set threshold is a shared reference too.
  const tags = ['shared'];
  const late = [...many, { tags }, { tags }];
  const back = roundTrip(late);
  assert.equal(back.envelope.flags & FLAG_JSON, 0);
  assert.equal(back.value[100].tags, back.value[101].tags);
});
