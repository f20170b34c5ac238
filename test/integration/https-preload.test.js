// The worker runtime does not load node:https up front (it costs every worker
// start); an https app still gets its close() drain patch, installed when its
// TLS server listens (src/worker/preload-runtime.ts, patchHttpsFor).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import https from 'node:https';
import path from 'node:path';
import { fixture, runDrover } from '../helpers/drover.js';
import { tempDir } from '../helpers/tmp.js';

function get(port) {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port, path: '/', rejectUnauthorized: false, agent: false, timeout: 15_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve(JSON.parse(body)));
    });
    req.on('timeout', () => req.destroy(new Error('no answer')));
    req.on('error', reject);
  });
}

test('an https app served through the master has the drain patch on https.Server close()', async (t) => {
  const dir = tempDir(t);
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
  const d = runDrover(t, [fixture('https-app.mjs'), '-i', '1'], { env: { PORT: '0', TLS_KEY: key, TLS_CERT: cert } });
  const port = await d.ready();
  const who = await get(port);
  assert.equal(who.closePatched, true);
  assert.ok(d.workerPids().includes(who.pid));
  d.signal('SIGTERM');
  assert.equal((await d.wait()).code, 0);
  await d.assertNothingLeft();
});
