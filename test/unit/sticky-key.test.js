// The stickyKey option's pure parts: the option's syntax, the key found in a
// request head (cookie, header, query; malformed heads give no key), the
// bounded owner table, and the worker messages that carry keys and heads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extractStickyKey, headComplete, parseStickyKeySpec, STICKY_HEAD_MAX_BYTES } from '../../dist/balancer/sticky-key.js';
import { StickyTable } from '../../dist/balancer/sticky-table.js';
import { CMD, parseWorkerMessage, PROTOCOL_VERSION } from '../../dist/protocol/messages.js';
import { superviseOptionsSchema } from '../../dist/config/schema.js';

const head = (lines) => Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1');
const get = (target, ...headers) => head([`GET ${target} HTTP/1.1`, 'Host: x', ...headers]);

test('the option: cookie:, header:, query: and a token name; anything else is refused', () => {
  assert.deepEqual(parseStickyKeySpec('query:sid'), { source: 'query', name: 'sid' });
  assert.deepEqual(parseStickyKeySpec('cookie:connect.sid'), { source: 'cookie', name: 'connect.sid' });
  assert.deepEqual(parseStickyKeySpec('header:X-Session'), { source: 'header', name: 'x-session' });
  for (const bad of ['', 'sid', 'query:', ':sid', 'path:sid', 'query:a b', 'header:a:b', `query:${'a'.repeat(129)}`]) {
    assert.equal(parseStickyKeySpec(bad), undefined, bad);
  }
  assert.equal(superviseOptionsSchema.safeParse({ script: 'a.js', stickyKey: 'query:sid' }).success, true);
  const refused = superviseOptionsSchema.safeParse({ script: 'a.js', stickyKey: 'sid' });
  assert.equal(refused.success, false);
  assert.match(refused.error.issues[0].message, /cookie:<name>, header:<name> or query:<name>/);
});

test('query: the parameter of the request target, decoded; other parameters and fragments are not it', () => {
  const spec = parseStickyKeySpec('query:sid');
  assert.equal(extractStickyKey(get('/socket.io/?EIO=4&transport=polling&sid=abc-123'), spec), 'abc-123');
  assert.equal(extractStickyKey(get('/?sid=a%2Fb+c'), spec), 'a/b c');
  assert.equal(extractStickyKey(get('/?xsid=1&sidx=2'), spec), undefined);
  assert.equal(extractStickyKey(get('/?sid'), spec), undefined);
  assert.equal(extractStickyKey(get('/?sid='), spec), undefined);
  assert.equal(extractStickyKey(get('/#?sid=1'), spec), undefined);
  assert.equal(extractStickyKey(get('/?sid=%E0%A4%A'), spec), undefined, 'a malformed escape is no key');
  // The request line alone is enough for a query key.
  assert.equal(headComplete(Buffer.from('GET /?sid=1 HTTP/1.1\r\n'), spec), true);
  assert.equal(headComplete(Buffer.from('GET /?sid=1 HTT'), spec), false);
});

test('cookie: the named cookie among several, quoted or not; header: case-insensitive name, first occurrence', () => {
  const c = parseStickyKeySpec('cookie:sid');
  assert.equal(extractStickyKey(get('/', 'Cookie: a=1; sid=s1; b=2'), c), 's1');
  assert.equal(extractStickyKey(get('/', 'cookie:sid="q2"'), c), 'q2');
  assert.equal(extractStickyKey(get('/', 'Cookie: xsid=1'), c), undefined);
  assert.equal(extractStickyKey(get('/', 'Cookie: a=1', 'Cookie: sid=second'), c), 'second');
  const h = parseStickyKeySpec('header:X-Session');
  assert.equal(extractStickyKey(get('/', 'x-session:  v1  ', 'X-Session: v2'), h), 'v1');
  assert.equal(extractStickyKey(get('/', 'X-Other: v1'), h), undefined);
  // Headers after the blank line are the body, not the head.
  assert.equal(extractStickyKey(Buffer.from('GET / HTTP/1.1\r\n\r\nX-Session: body'), h), undefined);
  assert.equal(headComplete(Buffer.from('GET / HTTP/1.1\r\nX-Session: v'), h), false);
  assert.equal(headComplete(get('/'), h), true);
});

test('malformed heads give no key, never an exception', () => {
  const specs = ['query:sid', 'cookie:sid', 'header:x'].map(parseStickyKeySpec);
  const garbage = [
    Buffer.alloc(0),
    Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]), // a TLS ClientHello
    Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'),
    Buffer.from('GET /?sid=1 HTTP/9.9\r\n\r\n'),
    Buffer.from('get /?sid=1 HTTP/1.1\r\n\r\n'),
    Buffer.from('GET  /?sid=1 HTTP/1.1\r\n\r\n'),
    Buffer.from('\r\n\r\n'),
    Buffer.alloc(STICKY_HEAD_MAX_BYTES * 2, 'a'),
    Buffer.from(`GET /?sid=${'k'.repeat(300)} HTTP/1.1\r\n\r\n`), // longer than any session id
    Buffer.from('GET / HTTP/1.1\r\n: no name\r\nx\r\nCookie\r\n\r\n'),
  ];
  for (const spec of specs) for (const g of garbage) assert.equal(extractStickyKey(g, spec), undefined, `${spec.source} ${g.subarray(0, 20)}`);
});

test('the owner table forgets the least recently used key first, and a use refreshes a key', () => {
  const table = new StickyTable(3);
  table.set('a', 1);
  table.set('b', 2);
  table.set('c', 1);
  assert.equal(table.get('a'), 1);
  table.set('d', 2);
  assert.equal(table.get('b'), undefined, 'b was the least recently used');
  assert.equal(table.get('a'), 1);
  table.set('a', 3);
  assert.equal(table.get('a'), 3, 'a claim moves a key');
  assert.equal(table.size, 3);
});

test('worker messages: a claim needs a bounded key, a returned head a bounded string', () => {
  const msg = (m) => parseWorkerMessage({ cmd: CMD, v: PROTOCOL_VERSION, ...m });
  assert.deepEqual(msg({ kind: 'sticky-claim', key: 'abc' }), { ok: true, message: { kind: 'sticky-claim', key: 'abc' } });
  for (const key of [undefined, '', 5, 'k'.repeat(257)]) assert.equal(msg({ kind: 'sticky-claim', key }).ok, false);
  assert.deepEqual(msg({ kind: 'conn-back', key: 'k', head: 'GET' }), { ok: true, message: { kind: 'conn-back', key: 'k', head: 'GET' } });
  assert.equal(msg({ kind: 'conn-back', key: 'k', head: 1 }).ok, false);
  assert.equal(msg({ kind: 'conn-back', key: 'k', head: 'x'.repeat(STICKY_HEAD_MAX_BYTES + 1) }).ok, false);
});

test('stickyKey needs the master to hand connections over: refused with kernel, reuseport and fork mode', async () => {
  const { resolveSpec } = await import('../../dist/config/resolve.js');
  const { example } = await import('../helpers/paths.js');
  const script = example('hello.js');
  assert.equal(resolveSpec({ script, stickyKey: 'query:sid' }).stickyKey, 'query:sid');
  for (const extra of [{ balance: 'kernel' }, { execMode: 'fork' }]) {
    assert.throws(() => resolveSpec({ script, stickyKey: 'query:sid', ...extra }), (err) => err.code === 'DROVER_E_INVALID_OPTION' && /stickyKey needs the master/.test(err.message), JSON.stringify(extra));
  }
});
