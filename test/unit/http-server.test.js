// The small HTTP server on 127.0.0.1 port 0: exact and prefix routes ('/' is
// exact), 404/405, security headers on every answer, a throwing handler is a 500.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHttpServer, send } from '../../dist/http/server.js';
import { request } from '../helpers/http.js';

const TOKEN = 't'.repeat(24);

test('routes, methods, headers, handler errors', async (t) => {
  const errors = [];
  const server = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    token: TOKEN,
    healthPublic: false,
    onError: (err) => errors.push(err.message),
    routes: [
      { method: 'GET', path: '/', handle: (_q, res) => send(res, 200, 'root') },
      { method: 'POST', path: '/api/x/', handle: (_q, res, url) => send(res, 200, url.pathname) },
      { method: 'GET', path: '/boom', handle: () => Promise.reject(new Error('boom')) },
    ],
  });
  t.after(() => server.close());
  const auth = { authorization: `Bearer ${TOKEN}` };
  const get = (path, extra = {}) => request({ port: server.port, path, headers: { ...auth, ...extra.headers }, method: extra.method, body: extra.body });
  assert.equal((await get('/')).body, 'root');
  assert.equal((await get('/other')).status, 404, "'/' is no prefix");
  assert.equal((await get('/api/x/a/b', { method: 'POST' })).body, '/api/x/a/b');
  const wrong = await get('/api/x/a', { method: 'GET' });
  assert.equal(wrong.status, 405);
  assert.equal(wrong.headers.allow, 'POST');
  const boom = await get('/boom');
  assert.equal(boom.status, 500);
  assert.deepEqual(errors, ['boom']);
  for (const res of [boom, wrong, await request({ port: server.port, path: '/' })]) {
    assert.match(res.headers['content-security-policy'], /^default-src 'self'/);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['cache-control'], 'no-store');
  }
});

test('a port in use is DROVER_E_HTTP_LISTEN (exit 106)', async (t) => {
  const first = await startHttpServer({ host: '127.0.0.1', port: 0, token: TOKEN, healthPublic: false, routes: [] });
  t.after(() => first.close());
  await assert.rejects(startHttpServer({ host: '127.0.0.1', port: first.port, token: TOKEN, healthPublic: false, routes: [] }), { code: 'DROVER_E_HTTP_LISTEN', exitCode: 106, message: /the port is in use/ });
});

test('a target that is exactly a route path (the fast path) answers as one parsed from the URL', async (t) => {
  const seen = [];
  const server = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    token: TOKEN,
    healthPublic: true,
    routes: [
      { method: 'GET', path: '/metrics', handle: (_q, res, url) => (seen.push(`${url.pathname}${url.search}`), send(res, 200, 'page')) },
      { method: 'POST', path: '/api/', handle: (_q, res, url) => send(res, 200, url.pathname) },
      { method: 'GET', path: '/livez', health: true, handle: (_q, res) => send(res, 200, 'ok') },
    ],
  });
  t.after(() => server.close());
  const auth = { authorization: `Bearer ${TOKEN}` };
  const get = (path, headers = auth, method = 'GET') => request({ port: server.port, path, headers, method });
  for (const path of ['/metrics', '/metrics?x=1', '/./metrics', '/a/../metrics']) assert.equal((await get(path)).body, 'page', path);
  assert.deepEqual(seen, ['/metrics', '/metrics?x=1', '/metrics', '/metrics'], 'the handler sees the URL it would have parsed');
  assert.equal((await get('/metrics', {})).status, 401, 'no token: refused on the fast path too');
  assert.equal((await get('/metrics', { authorization: 'Bearer wrong-token-wrong-token!' })).status, 401);
  assert.equal((await get('/metrics', { ...auth, host: 'evil.example' })).status, 403, 'Host checked on the fast path');
  assert.equal((await get('/metrics', auth, 'HEAD')).status, 200);
  const post = await get('/metrics', auth, 'POST');
  assert.equal(post.status, 405);
  assert.equal(post.headers.allow, 'GET');
  assert.equal((await get('/api/', auth, 'POST')).body, '/api/', 'a prefix route at its own path');
  assert.equal((await get('/livez', {})).body, 'ok', 'health stays public when asked');
  const viaQuery = await get(`/metrics?token=${TOKEN}`, {});
  assert.equal(viaQuery.status, 200);
  assert.match(viaQuery.headers['set-cookie'][0], /^drover_token=/, 'the ?token= link still sets the cookie');
});
