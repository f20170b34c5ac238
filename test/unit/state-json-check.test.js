// The master's JSON check of set values (src/state/json-check.ts): it may say
// true only for text JSON.parse accepts, and should say it for what clients send.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isJsonText } from '../../dist/state/json-check.js';

const parses = (s) => {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
};

// A small deterministic PRNG (mulberry32): the same cases every run.
function rng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomValue(r, depth) {
  const k = Math.floor(r() * (depth > 4 ? 5 : 7));
  switch (k) {
    case 0: return null;
    case 1: return r() < 0.5;
    case 2: return [0, -0.5, 1e21, 123456789, -7, 3.25e-8, Number.MAX_SAFE_INTEGER][Math.floor(r() * 7)];
    case 3: return ['', 'a', 'é', '"q"', 'back\\slash', 'tab\t', '\u0001', '\ud83d\ude00', '\ud800', '/', 'line\nnext'][Math.floor(r() * 11)];
    case 4: return 'plain';
    case 5: return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
    default: return Object.fromEntries(Array.from({ length: Math.floor(r() * 4) }, (_, i) => [`k${i}${r() < 0.2 ? '"\\' : ''}`, randomValue(r, depth + 1)]));
  }
}

test('every JSON.stringify output is shown valid, with and without whitespace', () => {
  const r = rng(1);
  for (let n = 0; n < 5_000; n++) {
    const v = randomValue(r, 0);
    assert.equal(isJsonText(JSON.stringify(v)), true, JSON.stringify(v));
    assert.equal(isJsonText(JSON.stringify(v, null, r() < 0.5 ? 2 : '\t')), true);
  }
  for (const s of [' 1 ', '\r\n[ ]\t', '{ "a" : [ 1 , 2 ] }', '"\\u00e9\\/"', '-0', '0.5e+3', '1E-2', '1e400']) assert.equal(isJsonText(s), true, s);
});

test('never true where JSON.parse throws: mutated texts and known traps', () => {
  const traps = ['', ' ', '01', '1.', '.5', '-', '+1', '1e', '1e+', '0x1', 'NaN', 'Infinity', 'undefined', 'tru', 'nul', 'True', "'a'", '"a', '"\\x41"', '"\\u12G4"', '"\u0001"',
    '"\t"', '[1,]', '[,1]', '{"a":1,}', '{"a"}', '{a:1}', '{"a" 1}', '[1 2]', '{"a":1}}', '[[]', ']', '\ufeff1', '1 2', '[1]x', '{"a":1]', '[1}', '/**/1'];
  for (const s of traps) assert.equal(isJsonText(s), false, JSON.stringify(s));
  const r = rng(2);
  const alphabet = ['{', '}', '[', ']', ',', ':', '"', '\\', 'u', '0', '1', '-', '.', 'e', '+', ' ', 't', 'n', '\n', '\u0000', 'a'];
  let shownValid = 0;
  for (let n = 0; n < 30_000; n++) {
    let s = JSON.stringify(randomValue(r, 0));
    const edits = 1 + Math.floor(r() * 3);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(r() * (s.length + 1));
      const op = r();
      const ch = alphabet[Math.floor(r() * alphabet.length)];
      s = op < 0.4 ? s.slice(0, at) + ch + s.slice(at) : op < 0.7 ? s.slice(0, at) + s.slice(at + 1) : s.slice(0, at) + ch + s.slice(at + 1);
    }
    const ok = isJsonText(s);
    if (ok) shownValid++;
    assert.equal(ok && !parses(s), false, `shown valid, but JSON.parse throws: ${JSON.stringify(s)}`);
    if (parses(s) && s.length < 200) assert.equal(ok, true, `valid and shallow, but not shown valid: ${JSON.stringify(s)}`);
  }
  assert.ok(shownValid > 1_000, `the mutations keep enough valid texts to mean something (${shownValid})`);
});

test('nesting past its depth answers false (JSON.parse decides), within it true', () => {
  assert.equal(isJsonText('['.repeat(64) + ']'.repeat(64)), true);
  assert.equal(isJsonText('['.repeat(100) + ']'.repeat(100)), false);
  assert.equal(JSON.parse('['.repeat(100) + ']'.repeat(100)).length, 1);
  assert.equal(isJsonText('{"a":'.repeat(10) + '1' + '}'.repeat(10)), true);
});

test("the master refuses a set whose value is not JSON, and takes one nested past the scan's depth", async () => {
  const { StateServer } = await import('../../dist/state/server.js');
  const { memoryBackend } = await import('../../dist/state/memory-backend.js');
  const server = new StateServer(() => memoryBackend());
  const set = async (value) => JSON.parse(await server.handle(`{"op":"set","key":"k","n":1}\n${value}`, 'p:1', () => undefined));
  for (const bad of ['{"a":1,}', '[1 2]', '01', '"\u0001"']) {
    const reply = await set(bad);
    assert.equal(reply.ok, 0, bad);
    assert.equal(reply.code, 'DROVER_E_STATE_VALUE');
  }
  const deep = '['.repeat(100) + ']'.repeat(100);
  assert.equal((await set(deep)).ok, 1);
  assert.equal((await set('{"a":[1,{"b":null}]}')).version, 2);
  const got = JSON.parse(await server.handle('{"op":"get","key":"k"}', 'p:1', () => undefined));
  assert.deepEqual(got.e.value, { a: [1, { b: null }] });
  await server.close();
});
