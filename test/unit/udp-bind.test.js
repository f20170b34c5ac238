// dgram bind() arguments as the worker runtime reads them, and the udp-bind
// message as the master validates it (a bad one is dropped, never thrown).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBindArgs } from '../../dist/worker/udp-bind.js';
import { parseWorkerMessage, CMD, PROTOCOL_VERSION } from '../../dist/protocol/messages.js';

const cb = () => {};

test('parseBindArgs: every bind() form Node accepts; exclusive, fd and handles are left to Node', () => {
  assert.deepEqual(parseBindArgs('udp4', []), { address: { type: 'udp4', host: null, port: 0 }, callback: undefined });
  assert.deepEqual(parseBindArgs('udp4', [41234]).address, { type: 'udp4', host: null, port: 41234 });
  assert.deepEqual(parseBindArgs('udp6', ['41234', '::1', cb]), { address: { type: 'udp6', host: '::1', port: 41234 }, callback: cb });
  assert.equal(parseBindArgs('udp4', [cb]).callback, cb);
  assert.deepEqual(parseBindArgs('udp4', [{ port: 5, address: '127.0.0.1' }, cb]), { address: { type: 'udp4', host: '127.0.0.1', port: 5 }, callback: cb });
  assert.equal(parseBindArgs('udp4', [{ port: 5, exclusive: true }]), null);
  assert.equal(parseBindArgs('udp4', [{ fd: 3 }]), null);
  assert.equal(parseBindArgs('udp4', [{ recvStart() {} }]), null);
  assert.equal(parseBindArgs('udp4', [70000]), null, 'Node reports a bad port itself');
});

test('udp-bind messages: valid ones pass, malformed ones are an error string', () => {
  const env = (m) => ({ cmd: CMD, v: PROTOCOL_VERSION, ...m });
  assert.equal(parseWorkerMessage(env({ kind: 'udp-bind', seq: 1, address: { type: 'udp4', host: null, port: 0 } })).ok, true);
  for (const address of [{ type: 'tcp', host: null, port: 1 }, { type: 'udp4', host: 3, port: 1 }, { type: 'udp4', host: null, port: 70000 }, null]) {
    const r = parseWorkerMessage(env({ kind: 'udp-bind', seq: 1, address }));
    assert.equal(r.ok, false);
    assert.match(r.error, /udp-bind/);
  }
});
