// Validation of the messaging envelope {ch, v, kind, seq, ack?, to, from,
// topic}: every malformed frame is refused with a reason, random bytes never
// throw, and the API's addresses and topics are checked with clear errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { FLAG_JSON, FLAG_PAYLOAD, FLAG_TEXT, HEADER_BYTES, Kind, MAGIC, encodeEmpty, encodeFrame } from '../../dist/messaging/frame.js';
import {
  ADDR_AGENT,
  ADDR_MASTER,
  ADDR_NONE,
  ADDR_WORKERS,
  checkTopic,
  decodeAddress,
  encodeAddress,
  parseEnvelope,
} from '../../dist/messaging/envelope.js';

const base = { kind: Kind.send, seq: 1, ack: 0, to: 0, from: 3, topic: 't' };
const good = () => encodeFrame(base, { x: 1 }, 'v8');

function broken(mutate, frame = good()) {
  const copy = Buffer.from(frame);
  mutate(copy);
  return parseEnvelope(copy);
}

test('a valid frame of every kind parses', () => {
  const cases = [
    [Kind.hello, { topic: 'token', to: ADDR_NONE }],
    [Kind.welcome, { topic: '', to: 1 }],
    [Kind.send, {}],
    [Kind.request, { ack: 1000, to: ADDR_MASTER }],
    [Kind.reply, { topic: '', ack: 9, seq: 0 }],
    [Kind.error, { topic: '', ack: 9, seq: 0 }],
    [Kind.sub, { to: ADDR_NONE }],
    [Kind.unsub, { to: ADDR_NONE }],
    [Kind.publish, { to: ADDR_NONE }],
    [Kind.ack, { topic: '', ack: 3, seq: 0, to: ADDR_NONE }],
    [Kind.nack, { topic: '', ack: 3, seq: 0, to: ADDR_NONE }],
    [Kind.fatal, { topic: '', seq: 0, to: ADDR_NONE }],
    [Kind.state, { topic: '', ack: 1000, to: ADDR_MASTER }],
  ];
  for (const [kind, over] of cases) {
    const r = parseEnvelope(encodeEmpty({ ...base, kind, ...over }));
    assert.ok(r.ok, `kind ${kind}: ${r.error}`);
    assert.equal(r.envelope.kind, kind);
  }
});

test('malformed frames are refused with a reason', () => {
  const cases = [
    ['too short', () => parseEnvelope(Buffer.alloc(10)), /shorter than/],
    ['length prefix', () => broken((f) => f.writeUInt32BE(f.length, 0)), /length prefix/],
    ['magic', () => broken((f) => (f[4] = 0x00)), /bad magic/],
    ['version', () => broken((f) => (f[4] = MAGIC + 1)), /bad magic/],
    ['kind 0', () => broken((f) => (f[5] = 0)), /unknown kind 0/],
    ['kind 200', () => broken((f) => (f[5] = 200)), /unknown kind 200/],
    ['state without seq', () => parseEnvelope(encodeEmpty({ ...base, kind: Kind.state, topic: '', seq: 0, to: ADDR_MASTER })), /seq must not be 0/],
    ['state to nobody', () => parseEnvelope(encodeEmpty({ ...base, kind: Kind.state, topic: '', to: ADDR_NONE })), /invalid address/],
    ['unknown flags', () => broken((f) => (f[6] |= 0x40)), /unknown flags/],
    ['contradictory flags', () => broken((f) => (f[6] = FLAG_PAYLOAD | FLAG_JSON | FLAG_TEXT)), /contradictory/],
    ['topic past the end', () => broken((f) => (f[7] = 250)), /past the end/],
    ['send without topic', () => parseEnvelope(encodeEmpty({ ...base, topic: '' })), /needs a topic/],
    ['reply with topic', () => parseEnvelope(encodeEmpty({ ...base, kind: Kind.reply, ack: 1 })), /must not have a topic/],
    ['send with seq 0', () => parseEnvelope(encodeEmpty({ ...base, seq: 0 })), /seq must not be 0/],
    ['reply without ack', () => parseEnvelope(encodeEmpty({ ...base, kind: Kind.reply, topic: '' })), /ack must not be 0/],
    ['address below the specials', () => parseEnvelope(encodeEmpty({ ...base, to: -9 })), /invalid address/],
    ['address far too large', () => parseEnvelope(encodeEmpty({ ...base, to: 1 << 30 })), /invalid address/],
    ['sender address', () => parseEnvelope(encodeEmpty({ ...base, from: -100 })), /invalid sender/],
    ['topic not UTF-8', () => broken((f) => (f[HEADER_BYTES] = 0xff)), /not valid UTF-8/],
    ['bytes without the payload flag', () => broken((f) => (f[6] = 0)), /without payload/],
  ];
  for (const [name, run, reason] of cases) {
    const r = run();
    assert.equal(r.ok, false, `${name} should be refused`);
    assert.match(r.error, reason, name);
  }
});

test('kinds can be restricted per peer (a worker may not send ack, welcome or fatal)', () => {
  const fromPeer = new Set([Kind.send, Kind.request]);
  const r = parseEnvelope(encodeEmpty({ ...base, kind: Kind.ack, topic: '', ack: 1, seq: 0 }), fromPeer);
  assert.equal(r.ok, false);
  assert.match(r.error, /kind ack is not accepted from this peer/);
  assert.ok(parseEnvelope(good(), fromPeer).ok);
});

test('random bytes never throw: 20 000 fuzzed frames, each refused or parsed', () => {
  const seed = good();
  for (let i = 0; i < 10_000; i++) {
    const junk = randomBytes(4 + Math.floor(Math.random() * 80));
    assert.doesNotThrow(() => parseEnvelope(junk));
    const flipped = Buffer.from(seed);
    for (let k = 0; k < 3; k++) flipped[Math.floor(Math.random() * flipped.length)] = Math.floor(Math.random() * 256);
    assert.doesNotThrow(() => parseEnvelope(flipped));
  }
});

test('addresses: master, workers, agent and worker ids; anything else is DROVER_E_MSG_INVALID', () => {
  assert.equal(encodeAddress('master'), ADDR_MASTER);
  assert.equal(encodeAddress('workers'), ADDR_WORKERS);
  assert.equal(encodeAddress('agent'), ADDR_AGENT);
  assert.equal(encodeAddress(0), 0);
  assert.equal(encodeAddress(41), 41);
  assert.equal(encodeAddress('3'), 3, 'a DROVER_WORKER_ID read from the environment works as is');
  for (const a of ['master'].map(encodeAddress)) assert.equal(decodeAddress(a), 'master');
  assert.equal(decodeAddress(ADDR_AGENT), 'agent');
  assert.equal(decodeAddress(5), 5);
  for (const bad of [-1, 1.5, NaN, Infinity, 'worker', '', null, undefined, {}, 2 ** 40]) {
    assert.throws(
      () => encodeAddress(bad),
      (err) => err.code === 'DROVER_E_MSG_INVALID' && /'master', 'workers', 'agent' or a worker id/.test(err.message),
      String(bad),
    );
  }
});

test('topics: non-empty strings of at most 255 bytes', () => {
  assert.equal(checkTopic('a.b'), 'a.b');
  for (const bad of ['', 1, null, undefined, {}]) assert.throws(() => checkTopic(bad), { code: 'DROVER_E_MSG_INVALID' });
  assert.throws(() => checkTopic('x'.repeat(256)), { code: 'DROVER_E_MSG_INVALID' });
  assert.equal(checkTopic('x'.repeat(255)).length, 255);
});

test('topics read before are recognised by their bytes: colliding topics, and a bad one after a good one, are told apart', () => {
  // Same length and last byte: the same slot of the topic cache, taken in turn.
  const topics = ['ab.x', 'cd.x', 'é.x', 'ab.x', 'cd.x', 'é.x', 'q'.repeat(100), 'ab.x'];
  for (const topic of topics) {
    const r = parseEnvelope(encodeFrame({ ...base, topic }, 1, 'v8'));
    assert.ok(r.ok, r.error);
    assert.equal(r.envelope.topic, topic);
  }
  // 'ab.x' with its first byte made invalid UTF-8: refused, although 'ab.x' is cached in that slot.
  const bad = encodeFrame({ ...base, topic: 'ab.x' }, 1, 'v8');
  bad[HEADER_BYTES] = 0xff;
  assert.match(parseEnvelope(bad).error, /not valid UTF-8/);
  // A frame whose buffer is later overwritten leaves no trace in the cache.
  const reused = encodeFrame({ ...base, topic: 'zz.y' }, 1, 'v8');
  assert.equal(parseEnvelope(reused).envelope.topic, 'zz.y');
  reused.write('yy', HEADER_BYTES);
  assert.equal(parseEnvelope(reused).envelope.topic, 'yy.y');
});
