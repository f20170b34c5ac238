// @ts-check
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sticky, VIRTUAL_NODES } from '../../dist/balancer/strategies/sticky.js';
import { member } from '../helpers/balancer.js';

function ring(ids) {
  const s = sticky();
  for (const id of ids) s.add(member(id));
  return s;
}

// Addresses that vary in all positions, v4 and v6.
function addresses(n) {
  const out = [];
  for (let i = 0; i < n; i++) {
    if (i % 4 === 3) out.push(`2001:db8:${(i * 7919) % 65536}::${(i % 251).toString(16)}`);
    else out.push(`${10 + (i % 200)}.${(i >> 3) & 255}.${(i * 31) & 255}.${(i * 17) % 254 + 1}`);
  }
  return out;
}

function mapping(s, addrs) {
  return addrs.map((a) => s.pick({ remoteAddress: a }));
}

test('declares needsAddress and its name', () => {
  const s = sticky();
  assert.equal(s.name, 'sticky');
  assert.equal(s.needsAddress, true);
  assert.equal(VIRTUAL_NODES, 160);
});

test('the same address always goes to the same member (1000 addresses)', () => {
  const s = ring([1, 2, 3, 4, 5]);
  const addrs = addresses(1000);
  const first = mapping(s, addrs);
  for (let round = 0; round < 3; round++) assert.deepEqual(mapping(s, addrs), first);
  // Does not degenerate: every member gets a fair share.
  const per = new Map();
  for (const id of first) per.set(id, (per.get(id) ?? 0) + 1);
  assert.equal(per.size, 5);
  for (const [id, n] of per) assert.ok(n > 100 && n < 300, `member ${id} got ${n}/1000`);
});

test('the mapping depends on the ids, not on insertion order', () => {
  const addrs = addresses(2000);
  assert.deepEqual(mapping(ring([1, 2, 3, 4]), addrs), mapping(ring([4, 2, 1, 3]), addrs));
});

for (const n of [1, 2, 3, 4, 7, 12]) {
  test(`scaling ${n} → ${n + 1} moves at most ~1/${n + 1} of 10,000 keys, all to the new member`, () => {
    const ids = Array.from({ length: n }, (_, i) => i + 1);
    const s = ring(ids);
    const addrs = addresses(10_000);
    const before = mapping(s, addrs);
    const newcomer = n + 1;
    s.add(member(newcomer));
    const after = mapping(s, addrs);
    let moved = 0;
    for (let i = 0; i < addrs.length; i++) {
      if (before[i] !== after[i]) {
        moved++;
        assert.equal(after[i], newcomer, `${addrs[i]} moved ${before[i]} → ${after[i]}, not to the new member`);
      }
    }
    const bound = (1.5 / (n + 1)) * addrs.length;
    assert.ok(moved <= bound, `moved ${moved} > ${bound}`);
    assert.ok(moved >= (0.5 / (n + 1)) * addrs.length, `moved only ${moved}: the new member is starved`);
  });
}

test('removing a member remaps only that member\'s keys', () => {
  const s = ring([1, 2, 3, 4, 5, 6]);
  const addrs = addresses(10_000);
  const before = mapping(s, addrs);
  s.remove(4);
  const after = mapping(s, addrs);
  let remapped = 0;
  for (let i = 0; i < addrs.length; i++) {
    assert.notEqual(after[i], 4);
    if (before[i] === 4) {
      remapped++;
    } else {
      assert.equal(after[i], before[i], `${addrs[i]} moved ${before[i]} → ${after[i]} though its member stayed`);
    }
  }
  assert.ok(remapped > 0);
  // And adding it back restores the original mapping exactly.
  s.add(member(4));
  assert.deepEqual(mapping(s, addrs), before);
});

test('IPv4-mapped IPv6 addresses map like the plain IPv4 address', () => {
  const s = ring([1, 2, 3, 4, 5, 6, 7, 8]);
  const plainIds = new Set();
  for (let i = 0; i < 500; i++) {
    const v4 = `127.0.${i >> 8}.${i & 255}`;
    const plain = s.pick({ remoteAddress: v4 });
    plainIds.add(plain);
    assert.equal(s.pick({ remoteAddress: `::ffff:${v4}` }), plain, v4);
    assert.equal(s.pick({ remoteAddress: `::FFFF:${v4}` }), plain, v4);
  }
  assert.ok(plainIds.size > 1);
  assert.equal(s.pick({ remoteAddress: '::ffff:127.0.0.2' }), s.pick({ remoteAddress: '127.0.0.2' }));
  // A real IPv6 address starting with ::ffff: but not in dotted form is hashed as is.
  const other = ['::ffff:7f00:2', '::ffff:1', '::ffff:a:b'].map((a) => s.pick({ remoteAddress: a }));
  for (const id of other) assert.ok(id >= 1 && id <= 8);
});

test('without an address it falls back to round-robin', () => {
  const s = ring([1, 2, 3]);
  const seq = [];
  for (let i = 0; i < 6; i++) seq.push(s.pick({ remoteAddress: undefined }));
  assert.deepEqual(seq, [1, 2, 3, 1, 2, 3]);
  s.remove(2);
  const rest = [];
  for (let i = 0; i < 4; i++) rest.push(s.pick({ remoteAddress: undefined }));
  assert.ok(!rest.includes(2));
  assert.deepEqual(new Set(rest), new Set([1, 3]));
});

test('pick scales logarithmically: a 64-member ring answers 200k picks quickly', () => {
  const s = ring(Array.from({ length: 64 }, (_, i) => i + 1));
  const addrs = addresses(1000);
  // This process's CPU time, not the wall clock: on a loaded machine the wall clock also counts other processes' turns.
  const t0 = process.cpuUsage();
  let sink = 0;
  for (let r = 0; r < 200; r++) for (const a of addrs) sink += s.pick({ remoteAddress: a });
  const used = process.cpuUsage(t0);
  const ms = (used.user + used.system) / 1000;
  assert.ok(sink > 0);
  assert.ok(ms < 2000, `200k picks took ${ms.toFixed(0)} ms of CPU`);
});
