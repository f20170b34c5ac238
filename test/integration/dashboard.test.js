// The dashboard in a real browser: playwright-core driving Debian's chromium
// (never a downloaded browser). The page shows the workers live, a SIGKILLed
// worker's replacement, the reload button replaces every pid, and an action
// without the token fails. Screenshots go to a temporary directory (its path
// is in the test's diagnostics); docs/dashboard.png is one of them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fixture, runDrover, BOOT_TIMEOUT_MS } from '../helpers/drover.js';
import { get, homeToken, metricsPort } from '../helpers/metrics.js';
import { waitFor } from '../helpers/wait.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

async function rows(page) {
  return page.$$eval('article[data-app="metrics-app"] tbody tr', (trs) =>
    trs.map((tr) => ({ slot: Number(tr.dataset.slot), pid: Number(tr.dataset.pid), status: tr.querySelector('.status').textContent, restarts: Number(tr.querySelector('.restarts').textContent) })),
  );
}

test('dashboard: 2 workers live, a SIGKILLed worker shown restarted, reload replaces both pids, no token no action', { skip: !existsSync(CHROMIUM) && `${CHROMIUM} is not installed` }, async (t) => {
  const { chromium } = await import('playwright-core');
  const home = mkdtempSync(path.join(tmpdir(), 'drover-dash-'));
  const shots = mkdtempSync(path.join(tmpdir(), 'drover-dash-shots-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  t.diagnostic(`screenshots in ${shots}`);

  const d = runDrover(t, [fixture('metrics-app.js'), '-i', '2', '--metrics-port', '0'], { env: { PORT: '0', DROVER_HOME: home } });
  await d.ready();
  const port = await metricsPort(d);
  const token = homeToken(home);

  const profile = mkdtempSync(path.join(tmpdir(), 'drover-chromium-'));
  const browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS });
  t.after(async () => {
    await browser.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
  });
  const page = browser.pages()[0] ?? (await browser.newPage());
  const errors = [];
  page.on('pageerror', (err) => errors.push(err.message));

  await page.goto(`http://127.0.0.1:${port}/?token=${token}`);
  assert.equal(new URL(page.url()).search, '', 'the token leaves the address bar');
  await page.waitForSelector('#conn.on');
  const first = await waitFor(async () => {
    const r = await rows(page);
    return r.length === 2 && r.every((w) => w.status === 'ready') && r;
  }, { timeoutMs: BOOT_TIMEOUT_MS, message: 'two ready workers on the page' });
  assert.deepEqual(first.map((w) => w.pid).sort(), d.liveWorkerPids().sort());
  // Charts need a few samples (one per heartbeat).
  await page.waitForSelector('svg.spark polyline', { timeout: 10_000 });
  await page.screenshot({ path: path.join(shots, 'dashboard.png'), fullPage: true });

  // SIGKILL: the replacement is on the page soon after the master forked it.
  const victim = first[0];
  process.kill(victim.pid, 'SIGKILL');
  const fork = await d.waitEvent('fork', (e) => e.slot === victim.slot && e.pid !== victim.pid);
  await waitFor(async () => (await rows(page)).some((w) => w.slot === victim.slot && w.pid === fork.pid && w.restarts === 1), {
    timeoutMs: 2_000,
    message: 'the restarted worker on the page within 2 s of its fork',
  });
  assert.match(await page.textContent('#events'), new RegExp(`worker ${victim.slot} \\(pid ${victim.pid}\\) exited: crashed by SIGKILL`));
  await page.screenshot({ path: path.join(shots, 'after-kill.png'), fullPage: true });

  // Reload: both pids replaced.
  const before = (await rows(page)).map((w) => w.pid);
  await page.click('article[data-app="metrics-app"] button[data-action="reload"]');
  await waitFor(async () => {
    const r = await rows(page);
    return r.length === 2 && r.every((w) => w.status === 'ready' && !before.includes(w.pid));
  }, { timeoutMs: BOOT_TIMEOUT_MS, message: 'both pids replaced by the reload' });
  await page.waitForFunction(() => document.querySelector('#notice').textContent.includes('reload metrics-app: done'));
  await page.screenshot({ path: path.join(shots, 'after-reload.png'), fullPage: true });

  // Without the token (no cookie) an action fails, from the page and from anywhere else.
  const status = await page.evaluate(async () => {
    const res = await fetch('/api/apps/metrics-app/scale', { method: 'POST', credentials: 'omit', headers: { 'content-type': 'application/json' }, body: '{"instances":1}' });
    return res.status;
  });
  assert.equal(status, 401);
  const cross = await get({ port, method: 'POST', path: '/api/apps/metrics-app/stop', headers: { authorization: `Bearer ${token}`, origin: 'http://evil.example', 'content-type': 'application/json' } });
  assert.equal(cross.status, 403);
  assert.equal(d.events('scale').length, 0);
  assert.equal(d.events('stopping').length, 0);
  assert.deepEqual(errors, []);
});
