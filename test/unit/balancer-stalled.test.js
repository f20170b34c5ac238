// @ts-check
// Least-connections and least-loaded with a worker whose event loop is blocked
// (issue 17): its hand-offs wait unreported, and past STALL_MS it is passed
// over while another member is not stalled. Fake clock: the strategies read
// time only through the clock they are given.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { leastConnections } from '../../dist/balancer/strategies/least-connections.js';
import { leastLoaded } from '../../dist/balancer/strategies/least-loaded.js';
import { roundRobin } from '../../dist/balancer/strategies/round-robin.js';
import { rotating } from '../../dist/balancer/strategies/rotating.js';
import { STALL_MS, STALLED_COST, stalled, timePenalty } from '../../dist/balancer/strategies/stalled.js';
import { member } from '../helpers/balancer.js';

const NO_ADDR = { remoteAddress: undefined };

function fakeClock(t = 1000) {
  const clock = () => t;
  clock.advance = (ms) => (t += ms);
  return clock;
}

for (const [name, make] of [
  ['least-connections', leastConnections],
  ['least-loaded', leastLoaded],
]) {
  test(`${name}: a member with a hand-off unreported for longer than STALL_MS is passed over`, () => {
    const clock = fakeClock();
    const s = make(clock);
    // 1 is burning: one open connection, one hand-off it has not read since t=1000.
    const busy = member(1, { connections: 2, queued: 1, quietSince: clock() });
    // 2 looks fuller (closes not reported yet) but its loop runs.
    const idle = member(2, { connections: 4 });
    s.add(busy);
    s.add(idle);
    clock.advance(STALL_MS + 1);
    assert.equal(stalled(busy, clock()), true);
    for (let i = 0; i < 5; i++) assert.equal(s.pick(NO_ADDR), 2);
  });

  test(`${name}: within STALL_MS a waiting hand-off is not a stall: the counts decide`, () => {
    const clock = fakeClock();
    const s = make(clock);
    const a = member(1, { connections: 1, queued: 1, quietSince: clock() });
    const b = member(2, { connections: 4 });
    s.add(a);
    s.add(b);
    clock.advance(STALL_MS - 1);
    assert.equal(s.pick(NO_ADDR), 1);
  });

  test(`${name}: a report restarts the clock (quietSince), so a member that reports is never stalled`, () => {
    const clock = fakeClock();
    const s = make(clock);
    const a = member(1, { connections: 1, queued: 3, quietSince: clock() });
    const b = member(2, { connections: 4 });
    s.add(a);
    s.add(b);
    clock.advance(STALL_MS + 5);
    assert.equal(s.pick(NO_ADDR), 2);
    a.quietSince = clock(); // what the listener does on a report
    assert.equal(s.pick(NO_ADDR), 1);
  });

  test(`${name}: when every member is stalled for as long the counts decide as before`, () => {
    const clock = fakeClock();
    const s = make(clock);
    const a = member(1, { connections: 5, queued: 1, quietSince: clock() });
    const b = member(2, { connections: 2, queued: 1, quietSince: clock() });
    s.add(a);
    s.add(b);
    clock.advance(10 * STALL_MS);
    assert.equal(s.pick(NO_ADDR), 2);
  });

  test(`${name}: when every member is stalled the one stalled for the shortest time comes first (the likeliest to be merely slow)`, () => {
    const clock = fakeClock();
    const s = make(clock);
    const long = member(1, { connections: 1, queued: 1, quietSince: clock() });
    s.add(long);
    clock.advance(15);
    const short = member(2, { connections: 3, queued: 2, quietSince: clock() });
    s.add(short);
    clock.advance(STALL_MS + 1);
    assert.equal(stalled(long, clock()), true);
    assert.equal(stalled(short, clock()), true);
    for (let i = 0; i < 3; i++) assert.equal(s.pick(NO_ADDR), 2);
  });

  test(`${name}: on equal counts the member silent for longer while holding connections goes last`, () => {
    const clock = fakeClock();
    const s = make(clock);
    // 1 reported just before a burn 8 ms ago and holds that connection; 2 was
    // handed a connection 1 ms ago (its close not reported yet).
    const burning = member(1, { connections: 1, quietSince: clock(), silentSince: clock() });
    s.add(burning);
    clock.advance(7);
    const idle = member(2, { connections: 1, quietSince: clock(), silentSince: clock() });
    s.add(idle);
    clock.advance(1);
    for (let i = 0; i < 3; i++) assert.equal(s.pick(NO_ADDR), 2);
  });

  test(`${name}: silence only breaks ties: it never outweighs one connection, and members without connections take turns`, () => {
    const clock = fakeClock();
    const s = make(clock);
    const silentLong = member(1, { connections: 1, silentSince: clock() - 1e6 });
    const busier = member(2, { connections: 2, silentSince: clock() });
    s.add(silentLong);
    s.add(busier);
    assert.ok(timePenalty(silentLong, clock()) < 1);
    assert.equal(s.pick(NO_ADDR), 1);
    const t = make(clock);
    t.add(member(1, { silentSince: clock() - 1e6 }));
    t.add(member(2, { silentSince: clock() }));
    assert.deepEqual([t.pick(NO_ADDR), t.pick(NO_ADDR), t.pick(NO_ADDR), t.pick(NO_ADDR)], [1, 2, 1, 2]);
  });
}

test('round-robin ignores stalls beyond its queued rule (it weighs no time)', () => {
  const s = roundRobin();
  s.add(member(1, { queued: 0, quietSince: -1e9 }));
  s.add(member(2));
  assert.deepEqual([s.pick(NO_ADDR), s.pick(NO_ADDR), s.pick(NO_ADDR)], [1, 2, 1]);
});

// A model of the mixed load: every ~2.5 ms a connection arrives; worker 1
// takes a 20 ms CPU-bound request at t=0 and reports nothing until it ends;
// worker 2 answers each connection within 0.3 ms and its report reaches the
// master `staleness` ms after each change. Counts how many connections go to
// the blocked worker during its burn.
function blindDuringBurn(make, staleness, every = 2.5) {
  const clock = fakeClock(0);
  const s = make(clock);
  const burning = member(1, { connections: 1, quietSince: 0 });
  const worker2 = member(2);
  s.add(burning);
  s.add(worker2);
  /** @type {Array<{ at: number, apply: () => void }>} */
  let events = [];
  let blind = 0;
  for (let t = 0.5; t < 20; t += every) {
    clock.advance(t - clock());
    for (const e of events.filter((x) => x.at <= t)) e.apply();
    events = events.filter((x) => x.at > t);
    const id = s.pick(NO_ADDR);
    if (id === 1) {
      blind++;
      if (burning.queued === 0) burning.quietSince = t;
      if (burning.connections <= 0) burning.silentSince = t;
      burning.connections++;
      burning.queued++;
    } else {
      if (worker2.queued === 0) worker2.quietSince = t;
      if (worker2.connections <= 0) worker2.silentSince = t;
      worker2.connections++;
      worker2.queued++;
      // Received at once (reported after `staleness`), closed 0.3 ms later (reported after `staleness`).
      const heard = () => (worker2.quietSince = worker2.silentSince = clock());
      events.push({ at: t + staleness, apply: () => ((worker2.queued = Math.max(0, worker2.queued - 1)), heard()) });
      events.push({ at: t + 0.3 + staleness, apply: () => ((worker2.connections -= 1), heard()) });
    }
  }
  return blind;
}

test('model: with 5 ms stale reports plain counting sends connections to the burning worker; fresh reports and stall detection do not', (t) => {
  const plainCounting = (clock) => leastConnections(() => -1e9); // a clock that never sees a stall
  const stale = blindDuringBurn(plainCounting, 5);
  const fresh = blindDuringBurn(plainCounting, 1);
  const withStall = blindDuringBurn(leastConnections, 5);
  t.diagnostic(`blind picks during one burn: stale ${stale}, fresh ${fresh}, stale + stall detection ${withStall}`);
  assert.ok(stale >= 2, `stale counts: ${stale} blind picks`);
  assert.ok(fresh < stale, `fresh ${fresh} < stale ${stale}`);
  assert.ok(withStall <= 1, `stall detection: ${withStall} blind picks (at most the one that reveals the stall)`);
});

test('model: connections 1 ms apart, reports 1.5 ms late: counts alone tie the burning worker with the idle one; the silence tie-break sends it none', (t) => {
  // The strategy before the tie-break: counts plus stall detection only.
  const countsAndStall = (clock) => rotating('least-connections', 'surplus', (m, now) => m.connections + (stalled(m, now) ? STALLED_COST : 0), clock);
  const before = blindDuringBurn(countsAndStall, 1.5, 1);
  const after = blindDuringBurn(leastConnections, 1.5, 1);
  t.diagnostic(`blind picks during one burn: counts + stall ${before}, + silence tie-break ${after}`);
  assert.ok(before >= 1, `counts + stall: ${before}`);
  assert.equal(after, 0);
});
