// @ts-check
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { leastConnections } from '../../dist/balancer/strategies/least-connections.js';
import { leastLoaded } from '../../dist/balancer/strategies/least-loaded.js';
import { sticky } from '../../dist/balancer/strategies/sticky.js';
import { weighted } from '../../dist/balancer/strategies/weighted.js';
import { roundRobin } from '../../dist/balancer/strategies/round-robin.js';
import {
  createStrategy,
  STRATEGY_NAMES,
  STRATEGY_ALIASES,
  resolveStrategyName,
} from '../../dist/balancer/strategies/index.js';
import { member } from '../helpers/balancer.js';

const NO_ADDR = { remoteAddress: undefined };


function withMembers(strategy, ...members) {
  for (const m of members) strategy.add(m);
  return strategy;
}

function picks(strategy, n, ctx = NO_ADDR) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(strategy.pick(ctx));
  return out;
}

function counts(list) {
  const c = new Map();
  for (const x of list) c.set(x, (c.get(x) ?? 0) + 1);
  return c;
}

// Behaves like the listener: each pick is a connection handed to the member.
function pickAndOpen(strategy, byId, ctx = NO_ADDR) {
  const id = strategy.pick(ctx);
  if (id !== undefined) byId.get(id).connections++;
  return id;
}

/** @type {Array<[string, () => import('../helpers/balancer.js').Strategy]>} */
const ALL = [
  ['round-robin', roundRobin],
  ['least-connections', leastConnections],
  ['least-loaded', leastLoaded],
  ['sticky', sticky],
  ['weighted', weighted],
];

describe('common contract', () => {
  for (const [name, factory] of ALL) {
    test(`${name}: empty → undefined; unknown remove is a no-op; duplicate add is a no-op`, () => {
      const s = factory();
      assert.equal(s.name, name);
      assert.equal(s.pick(NO_ADDR), undefined);
      assert.equal(s.pick({ remoteAddress: '10.0.0.1' }), undefined);
      s.remove(42);
      s.add(member(1));
      s.add(member(1));
      s.remove(42);
      assert.deepEqual(picks(s, 5), [1, 1, 1, 1, 1]);
      assert.equal(s.pick({ remoteAddress: '10.0.0.1' }), 1);
      s.remove(1);
      s.remove(1);
      assert.equal(s.pick(NO_ADDR), undefined);
      assert.equal(s.pick({ remoteAddress: '10.0.0.1' }), undefined);
    });

    test(`${name}: equal members are all used evenly (no address)`, () => {
      const s = withMembers(factory(), member(1), member(2), member(3), member(4));
      const c = counts(picks(s, 400));
      assert.deepEqual([...c.keys()].sort(), [1, 2, 3, 4]);
      for (const v of c.values()) assert.equal(v, 100);
    });

    test(`${name}: a removed member is never returned, also when removed between picks`, () => {
      const s = withMembers(factory(), member(1), member(2), member(3), member(4), member(5));
      const alive = new Set([1, 2, 3, 4, 5]);
      const order = [3, 1, 5, 4];
      for (let round = 0; round < order.length; round++) {
        for (let i = 0; i < 7; i++) {
          const id = s.pick(NO_ADDR);
          assert.ok(alive.has(id), `picked ${id}, alive ${[...alive]}`);
          const ip = s.pick({ remoteAddress: `192.168.0.${i + round * 7}` });
          assert.ok(alive.has(ip), `picked ${ip} by address, alive ${[...alive]}`);
        }
        s.remove(order[round]);
        alive.delete(order[round]);
      }
      assert.deepEqual(picks(s, 6), [2, 2, 2, 2, 2, 2]);
      s.remove(2);
      assert.equal(s.pick(NO_ADDR), undefined);
    });

    test(`${name}: removing the member just picked keeps the rotation going over the rest`, () => {
      const s = withMembers(factory(), member(1), member(2), member(3));
      const first = s.pick(NO_ADDR);
      s.remove(first);
      const rest = picks(s, 4);
      assert.ok(!rest.includes(first));
      assert.deepEqual(new Set(rest).size, 2);
    });
  }
});

describe('least-connections', () => {
  test('picks the member with the fewest connections, read live at pick time', () => {
    const a = member(1, { connections: 5 });
    const b = member(2, { connections: 2 });
    const c = member(3, { connections: 9 });
    const s = withMembers(leastConnections(), a, b, c);
    assert.equal(s.pick(NO_ADDR), 2);
    assert.equal(s.pick(NO_ADDR), 2); // still the least: connections are not ours to count
    b.connections = 10;
    assert.equal(s.pick(NO_ADDR), 1);
    c.connections = 0;
    assert.equal(s.pick(NO_ADDR), 3);
  });

  test('rotates among tied members instead of favouring the first', () => {
    const s = withMembers(
      leastConnections(),
      member(1, { connections: 1 }),
      member(2, { connections: 7 }),
      member(3, { connections: 1 }),
      member(4, { connections: 1 }),
    );
    assert.deepEqual(picks(s, 9), [1, 3, 4, 1, 3, 4, 1, 3, 4]);
  });

  test('fills the least loaded member up to the others, then spreads evenly', () => {
    const ms = [member(1, { connections: 4 }), member(2, { connections: 4 }), member(3)];
    const byId = new Map(ms.map((m) => [m.id, m]));
    const s = withMembers(leastConnections(), ...ms);
    const first = [];
    for (let i = 0; i < 4; i++) first.push(pickAndOpen(s, byId));
    assert.deepEqual(first, [3, 3, 3, 3]);
    for (let i = 0; i < 30; i++) pickAndOpen(s, byId);
    assert.deepEqual(ms.map((m) => m.connections), [14, 14, 14]);
  });

  test('re-adding an id reads the new live object', () => {
    const s = withMembers(leastConnections(), member(1, { connections: 3 }), member(2, { connections: 1 }));
    assert.equal(s.pick(NO_ADDR), 2);
    s.add(member(1, { connections: 0 }));
    assert.equal(s.pick(NO_ADDR), 1);
  });
});

describe('least-loaded', () => {
  test('avoids a member whose event loop is saturated', () => {
    const ms = [member(1, { elu: 0.98 }), member(2, { elu: 0.1 }), member(3, { elu: 0.1 })];
    const byId = new Map(ms.map((m) => [m.id, m]));
    const s = withMembers(leastLoaded(), ...ms);
    for (let i = 0; i < 300; i++) pickAndOpen(s, byId);
    const [busy, x, y] = ms.map((m) => m.connections);
    assert.ok(busy * 3 < x, `busy got ${busy}, others ${x}/${y}`);
    assert.ok(Math.abs(x - y) <= 1, `equal members differ: ${x} vs ${y}`);
  });

  test('a busy idle worker ranks behind a calm idle one (elu matters at 0 connections)', () => {
    const s = withMembers(leastLoaded(), member(1, { elu: 0.9 }), member(2, { elu: 0.2 }));
    assert.deepEqual(picks(s, 3), [2, 2, 2]);
  });

  test('connections still count: a calm but crowded member loses to a quieter busy one', () => {
    const s = withMembers(leastLoaded(), member(1, { elu: 0.5, connections: 1 }), member(2, { elu: 0, connections: 20 }));
    assert.equal(s.pick(NO_ADDR), 1);
  });

  test('reacts to elu changes between picks and rotates ties', () => {
    const a = member(1);
    const b = member(2);
    const s = withMembers(leastLoaded(), a, b);
    assert.deepEqual(picks(s, 4), [1, 2, 1, 2]);
    a.elu = 1;
    assert.deepEqual(picks(s, 3), [2, 2, 2]);
    a.elu = 0;
    b.elu = 1;
    assert.deepEqual(picks(s, 3), [1, 1, 1]);
  });

  test('out-of-range elu is clamped, NaN treated as 0', () => {
    const s = withMembers(leastLoaded(), member(1, { elu: Number.NaN }), member(2, { elu: 7 }), member(3, { elu: -3 }));
    const c = counts(picks(s, 10));
    assert.equal(c.get(2), undefined);
    assert.equal(c.get(1), 5);
    assert.equal(c.get(3), 5);
  });
});

describe('weighted (smooth, nginx)', () => {
  test('weights 5,1,1 give exactly a a b a c a a, repeating', () => {
    const s = withMembers(weighted(), member(1, { weight: 5 }), member(2, { weight: 1 }), member(3, { weight: 1 }));
    const name = { 1: 'a', 2: 'b', 3: 'c' };
    const seq = picks(s, 14).map((id) => name[id]).join(' ');
    assert.equal(seq, 'a a b a c a a a a b a c a a');
  });

  test('distribution is proportional to weight', () => {
    const s = withMembers(weighted(), member(1, { weight: 3 }), member(2, { weight: 2 }), member(3, { weight: 1 }));
    const c = counts(picks(s, 600));
    assert.deepEqual([c.get(1), c.get(2), c.get(3)], [300, 200, 100]);
  });

  test('members with weight <= 0 (or not a number) are never picked', () => {
    const s = withMembers(
      weighted(),
      member(1, { weight: 0 }),
      member(2, { weight: 2 }),
      member(3, { weight: -1 }),
      member(4, { weight: Number.NaN }),
      member(5, { weight: 1 }),
    );
    const c = counts(picks(s, 300));
    assert.deepEqual([...c.keys()].sort(), [2, 5]);
    assert.equal(c.get(2), 200);
    const only0 = withMembers(weighted(), member(1, { weight: 0 }));
    assert.equal(only0.pick(NO_ADDR), undefined);
  });

  test('weights are read live', () => {
    const a = member(1, { weight: 1 });
    const b = member(2, { weight: 1 });
    const s = withMembers(weighted(), a, b);
    assert.deepEqual(picks(s, 4), [1, 2, 1, 2]);
    b.weight = 0;
    assert.deepEqual(picks(s, 3), [1, 1, 1]);
    b.weight = 1;
    a.weight = 0;
    assert.deepEqual(picks(s, 3), [2, 2, 2]);
  });
});

describe('registry', () => {
  test('every canonical name creates a fresh strategy with that name', () => {
    assert.deepEqual([...STRATEGY_NAMES], ['round-robin', 'least-connections', 'least-loaded', 'sticky', 'weighted']);
    for (const name of STRATEGY_NAMES) {
      const a = createStrategy(name);
      const b = createStrategy(name);
      assert.equal(a.name, name);
      assert.notEqual(a, b);
      assert.equal(typeof a.pick, 'function');
    }
    assert.equal(createStrategy('sticky').needsAddress, true);
    assert.equal(createStrategy('least-connections').needsAddress, false);
  });

  test('instances do not share state', () => {
    const a = createStrategy('round-robin');
    const b = createStrategy('round-robin');
    a.add(member(1));
    assert.equal(b.pick(NO_ADDR), undefined);
  });

  test('aliases resolve: ip-hash → sticky, rr → round-robin', () => {
    assert.equal(createStrategy('ip-hash').name, 'sticky');
    assert.equal(createStrategy('rr').name, 'round-robin');
    assert.equal(resolveStrategyName('ip-hash'), 'sticky');
    assert.equal(STRATEGY_ALIASES.rr, 'round-robin');
  });

  test('unknown names throw a plain Error listing the valid names', () => {
    for (const bad of ['random', 'kernel', 'reuseport', '', 'constructor', '__proto__', 'toString', 'Round-Robin']) {
      assert.throws(
        () => createStrategy(bad),
        (/** @type {Error} */ err) => {
          assert.equal(err.constructor, Error);
          assert.ok(err.message.includes(JSON.stringify(bad)), err.message);
          for (const name of STRATEGY_NAMES) assert.ok(err.message.includes(name), err.message);
          assert.ok(err.message.includes('ip-hash'), err.message);
          return true;
        },
      );
    }
  });
});

describe('round-robin and queued hand-offs', () => {
  test('a worker still waiting to acknowledge a hand-off is passed over while another is free', () => {
    const a = member(1);
    const b = member(2);
    const s = withMembers(roundRobin(), a, b);
    assert.equal(s.pick({}), 1);
    a.queued = 1;
    assert.equal(s.pick({}), 2);
    assert.equal(s.pick({}), 2, 'member 1 is still busy');
    b.queued = 1;
    assert.equal(s.pick({}), 1, 'all busy: plain rotation');
    a.queued = 0;
    b.queued = 0;
    assert.deepEqual([s.pick({}), s.pick({}), s.pick({})], [2, 1, 2]);
  });
});
