// The HTTP endpoint's checks: token, cookie, Host (DNS rebinding), Origin,
// the unsafe-bind refusal, the token file, and the health decisions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, statSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cookieValue, hostAllowed, isLoopback, originAllowed, sameToken } from '../../dist/http/auth.js';
import { chooseToken, tokenFile } from '../../dist/http/token.js';
import { httpSettings } from '../../dist/http/options.js';
import { liveness, readiness } from '../../dist/http/health.js';

test('loopback addresses and names', () => {
  for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost']) assert.ok(isLoopback(h), h);
  for (const h of ['0.0.0.0', '::', '10.0.0.1', 'example.com']) assert.ok(!isLoopback(h), h);
});

test('a loopback server answers only to loopback Host names (DNS rebinding)', () => {
  assert.ok(hostAllowed('127.0.0.1:9100', '127.0.0.1'));
  assert.ok(hostAllowed('localhost:9100', '127.0.0.1'));
  assert.ok(hostAllowed('[::1]:9100', '::1'));
  assert.ok(!hostAllowed('evil.example:9100', '127.0.0.1'));
  assert.ok(!hostAllowed('127.0.0.1.evil.example', '127.0.0.1'));
  assert.ok(!hostAllowed(undefined, '127.0.0.1'));
  assert.ok(hostAllowed('metrics.internal:9100', '0.0.0.0'), 'beyond loopback the token protects, names vary');
});

test('Origin must be this server when a browser sends one', () => {
  assert.ok(originAllowed(undefined, '127.0.0.1:9100'));
  assert.ok(originAllowed('http://127.0.0.1:9100', '127.0.0.1:9100'));
  assert.ok(!originAllowed('http://evil.example', '127.0.0.1:9100'));
  assert.ok(!originAllowed('http://127.0.0.1:9101', '127.0.0.1:9100'));
  assert.ok(!originAllowed('null', '127.0.0.1:9100'));
});

test('token comparison and cookies', () => {
  assert.ok(sameToken('abcdefabcdefabcdef', 'abcdefabcdefabcdef'));
  assert.ok(!sameToken('abcdefabcdefabcdeX', 'abcdefabcdefabcdef'));
  assert.ok(!sameToken('short', 'abcdefabcdefabcdef'));
  assert.ok(!sameToken(undefined, 'abcdefabcdefabcdef'));
  assert.equal(cookieValue('a=1; drover_token=xyz; b=2', 'drover_token'), 'xyz');
  assert.equal(cookieValue('a=1', 'drover_token'), undefined);
});

test('the token file is created once, 0600, and reused', (t) => {
  const home = mkdtempSync(path.join(tmpdir(), 'drover-token-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const a = chooseToken(undefined, {}, home);
  assert.equal(a.source, 'file');
  assert.ok(a.token.length >= 32);
  assert.equal(statSync(tokenFile(home)).mode & 0o777, 0o600);
  assert.equal(readFileSync(tokenFile(home), 'utf8').trim(), a.token);
  assert.equal(chooseToken(undefined, {}, home).token, a.token);
  assert.equal(chooseToken(undefined, { DROVER_HTTP_TOKEN: 'x'.repeat(20) }, home).source, 'explicit');
  assert.throws(() => chooseToken('short', {}, home), { code: 'DROVER_E_HTTP_TOKEN', exitCode: 107 });
});

test('a non-loopback bind without an explicit token is refused', (t) => {
  const home = mkdtempSync(path.join(tmpdir(), 'drover-token-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const env = { DROVER_HOME: home };
  assert.throws(() => httpSettings({ host: '0.0.0.0', port: 0, token: undefined, healthPublic: false }, env), { code: 'DROVER_E_HTTP_UNSAFE_BIND', exitCode: 105 });
  assert.equal(httpSettings({ host: '0.0.0.0', port: 0, token: 'y'.repeat(16), healthPublic: false }, env).token.source, 'explicit');
  assert.equal(httpSettings({ host: '127.0.0.1', port: 0, token: undefined, healthPublic: false }, env).token.source, 'file');
});

test('readiness: starting, running, short, draining, stopped; minReady', () => {
  const base = { phase: 'running', draining: false, desired: 2, ready: 2, minReady: undefined };
  assert.equal(readiness(base).ok, true);
  assert.match(readiness({ ...base, phase: 'starting', ready: 1 }).reason, /^starting/);
  assert.match(readiness({ ...base, ready: 1 }).reason, /^short: 1 worker ready, 2 needed/);
  assert.equal(readiness({ ...base, ready: 1, minReady: 1 }).ok, true);
  assert.match(readiness({ ...base, draining: true }).reason, /^draining/);
  assert.match(readiness({ ...base, phase: 'stopping' }).reason, /^draining/);
  assert.equal(readiness({ ...base, phase: 'stopped' }).ok, false);
  assert.equal(liveness('running').ok, true);
  assert.equal(liveness('stopped').ok, false);
});

test('redactLine: secret-looking names, URL credentials, auth schemes and given literals', async () => {
  const { redactLine } = await import('../../dist/config/env.js');
  assert.equal(redactLine('DB_PASSWORD=hunter2 started'), 'DB_PASSWORD=[redacted] started');
  assert.equal(redactLine('to postgres://bob:pw@db:5432/x'), 'to postgres://bob:[redacted]@db:5432/x');
  assert.equal(redactLine('{"apiKey":"abc123","user":"bob"}'), '{"apiKey":"[redacted]","user":"bob"}');
  assert.equal(redactLine('Authorization: Bearer abcdefghijkl'), 'Authorization: Bearer [redacted]');
  assert.equal(redactLine('author=alice count: 3'), 'author=alice count: 3');
  assert.equal(redactLine('status: DB_PASSWORD=hunter2 TOKEN=x'), 'status: DB_PASSWORD=[redacted] TOKEN=[redacted]');
  assert.equal(redactLine('leaked abcdefabcdefabcdef here', ['abcdefabcdefabcdef']), 'leaked [redacted] here');
});
