// The pure parts of the master's message hub: its directory of connections
// (newest connection of a slot is the slot's address, subscriptions bounded)
// and its registrations (tokens, the grace of a process still connecting).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnTable, MAX_TOPICS_PER_CONNECTION } from '../../dist/messaging/hub-table.js';
import { monotonicMs } from '../../dist/platform/clock.js';
import { CONNECT_GRACE_MS, HubAuth, MAX_WAITING_PER_ADDRESS } from '../../dist/messaging/hub-auth.js';
import { ADDR_AGENT } from '../../dist/messaging/envelope.js';

const conn = (wid, slot, role = 'worker') => ({ reg: { wid, slot, role }, subs: new Set() });

test('connection table: a slot answers with its newest connection, the agent likewise; detach forgets subscriptions', () => {
  const table = new ConnTable();
  const old = conn(1, 0);
  const replacement = conn(2, 0);
  const agent = conn(3, 0, 'agent');
  for (const c of [old, replacement, agent]) table.attach(c);
  assert.equal(table.target(0), replacement);
  assert.equal(table.target(ADDR_AGENT), agent);
  assert.equal(table.target(5), undefined);
  assert.ok(table.subscribe(old, 'cache'));
  assert.ok(table.subscribe(replacement, 'cache'));
  assert.deepEqual([...table.subscribers('cache')], [old, replacement]);
  table.detach(replacement);
  assert.equal(table.target(0), old, 'the older process of the slot answers again');
  assert.deepEqual([...table.subscribers('cache')], [old]);
  assert.equal(table.hasWid(2), false);
  table.detach(old);
  assert.equal(table.subscribers('cache'), undefined);
  assert.equal(table.target(0), undefined);
});

test('connection table: a connection subscribes to MAX_TOPICS_PER_CONNECTION topics at most', () => {
  const table = new ConnTable();
  const c = conn(1, 0);
  table.attach(c);
  for (let i = 0; i < MAX_TOPICS_PER_CONNECTION; i++) assert.ok(table.subscribe(c, `t${i}`));
  assert.ok(table.subscribe(c, 't0'), 'a topic it has already is no new subscription');
  assert.equal(table.subscribe(c, 'one-more'), false);
});

test('registrations: a token per process, replaced by a new start of the same wid; a process still booting is waited for, then gets a grace once ready', () => {
  const auth = new HubAuth();
  const first = auth.register(7, 1, 'worker');
  const second = auth.register(7, 1, 'worker');
  assert.notEqual(first, second);
  assert.equal(auth.byToken(first), undefined, 'the old token stops working');
  assert.equal(auth.byToken(second).wid, 7);
  assert.equal(auth.byWid(7).token, second);
  assert.equal(auth.startingFor(1, () => false), Infinity, 'booting (not ready): however long it takes');
  auth.ready(7);
  const left = auth.startingFor(1, () => false);
  assert.ok(left > CONNECT_GRACE_MS - 1000 && left <= CONNECT_GRACE_MS, `grace left: ${left}`);
  assert.equal(auth.startingFor(1, (wid) => wid === 7), 0, 'connected: no grace needed');
  assert.equal(auth.startingFor(2, () => false), 0, 'nothing starting for slot 2');
  assert.equal(auth.startingFor(ADDR_AGENT, () => false), 0);
  const since = monotonicMs(); // hub-auth's clock (platform/clock.ts)
  auth.forget(7, false);
  assert.equal(auth.byToken(second), undefined);
  assert.equal(auth.startingFor(1, () => false), 0);
  assert.ok(auth.exitedUnconnectedSince(1, since), 'it exited before it connected');
  assert.equal(auth.exitedUnconnectedSince(2, since), false);
  auth.register(8, 2, 'worker');
  auth.forget(8, true);
  assert.equal(auth.exitedUnconnectedSince(2, since), false, 'a connected process that exits is no boot failure');
});

test('registrations: callers waiting for an address look again when a process for it becomes ready or exits; the waiters per address are bounded', () => {
  const auth = new HubAuth();
  auth.register(5, 3, 'worker');
  let calls = 0;
  assert.ok(auth.onConnectOrTimeout(3, Infinity, () => calls++));
  auth.ready(5);
  assert.equal(calls, 1);
  assert.ok(auth.onConnectOrTimeout(3, 60_000, () => calls++));
  auth.forget(5, false);
  assert.equal(calls, 2);
  for (let i = 0; i < MAX_WAITING_PER_ADDRESS; i++) assert.ok(auth.onConnectOrTimeout(3, 60_000, () => calls++));
  assert.equal(auth.onConnectOrTimeout(3, 60_000, () => calls++), false, 'one too many');
  assert.ok(auth.onConnectOrTimeout(4, 60_000, () => {}), 'another address has its own bound');
  auth.releaseAll();
  assert.equal(calls, 2 + MAX_WAITING_PER_ADDRESS);
});

test('registrations: callers waiting for an address go on when it connects, once', () => {
  const auth = new HubAuth();
  let calls = 0;
  auth.onConnectOrTimeout(3, 60_000, () => calls++);
  auth.onConnectOrTimeout(3, 60_000, () => calls++);
  auth.connectedAt(4);
  assert.equal(calls, 0);
  auth.connectedAt(3);
  assert.equal(calls, 2);
  auth.connectedAt(3);
  auth.releaseAll();
  assert.equal(calls, 2);
});
