// parseListenArgs: every shape of net.Server#listen() the worker runtime
// forwards to the master, and the ones it must leave to Node (null).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { parseListenArgs } from '../../dist/worker/listen-args.js';

const tcp = (port, host = null, ipv6Only = false) => ({ type: 'tcp', host, port, ipv6Only });
const cb = () => {};

test('no arguments, or only a callback: port 0', () => {
  assert.deepEqual(parseListenArgs([]), { address: tcp(0), backlog: undefined, callback: undefined });
  assert.deepEqual(parseListenArgs([cb]), { address: tcp(0), backlog: undefined, callback: cb });
});

test('listen(port), listen("port"), listen(undefined|null)', () => {
  assert.deepEqual(parseListenArgs([3000]).address, tcp(3000));
  assert.deepEqual(parseListenArgs(['8080']).address, tcp(8080));
  assert.deepEqual(parseListenArgs([0]).address, tcp(0));
  assert.deepEqual(parseListenArgs([undefined, cb]).address, tcp(0));
  assert.deepEqual(parseListenArgs([null]).address, tcp(0));
});

test('listen(port, host, backlog, callback) and its shorter forms', () => {
  assert.deepEqual(parseListenArgs([3000, '127.0.0.1', 511, cb]), { address: tcp(3000, '127.0.0.1'), backlog: 511, callback: cb });
  assert.deepEqual(parseListenArgs([3000, '::1', cb]), { address: tcp(3000, '::1'), backlog: undefined, callback: cb });
  assert.deepEqual(parseListenArgs([3000, 64]), { address: tcp(3000), backlog: 64, callback: undefined });
  assert.deepEqual(parseListenArgs([3000, '']).address, tcp(3000), 'an empty host means any');
});

test('listen({ port, host, ipv6Only, backlog })', () => {
  assert.deepEqual(parseListenArgs([{ port: 80, host: '::1', ipv6Only: true, backlog: 10 }, cb]), {
    address: tcp(80, '::1', true),
    backlog: 10,
    callback: cb,
  });
  assert.deepEqual(parseListenArgs([{}]).address, tcp(0));
  assert.deepEqual(parseListenArgs([{ port: '3000', host: '' }]).address, tcp(3000));
});

test('unix socket paths, as a string or { path }, resolved to absolute', () => {
  assert.deepEqual(parseListenArgs(['/tmp/app.sock', cb]), { address: { type: 'pipe', path: '/tmp/app.sock' }, backlog: undefined, callback: cb });
  assert.deepEqual(parseListenArgs([{ path: '/tmp/app.sock', backlog: 5 }]), { address: { type: 'pipe', path: '/tmp/app.sock' }, backlog: 5, callback: undefined });
  assert.deepEqual(parseListenArgs(['app.sock']).address, { type: 'pipe', path: path.resolve('app.sock') });
  assert.deepEqual(parseListenArgs(['run/app.sock', 12]).backlog, 12);
});

test('abstract sockets are left as they are', () => {
  assert.deepEqual(parseListenArgs(['\0drover-test']).address, { type: 'pipe', path: '\0drover-test' });
});

test('not ours (null): handles, fds, exclusive, reusePort, and ports Node would reject', () => {
  const notOurs = [
    [{ handle: {} }],
    [{ _handle: {} }],
    [{ fd: 3 }],
    [{ port: 0, exclusive: true }],
    [{ port: 0, reusePort: true }],
    [-1],
    [65536],
    [1.5],
    [{ port: -1 }],
    [{ port: 'http' }],
    [{ port: 70000 }],
    [true],
  ];
  for (const args of notOurs) assert.equal(parseListenArgs(args), null, JSON.stringify(args));
});

test('exclusive: false and reusePort: false are still ours', () => {
  assert.deepEqual(parseListenArgs([{ port: 1234, exclusive: false, reusePort: false }]).address, tcp(1234));
});
