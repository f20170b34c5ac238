import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import { PM2_RULES, mapPm2App, looksLikePm2, splitArgs, parsePm2Duration } from '../../dist/config/pm2.js';
import { appOptionsSchema } from '../../dist/config/file-schema.js';
import { configFixture as fx, loadConfig as load } from '../helpers/config.js';
import { tempDir } from '../helpers/tmp.js';
const shape = new Set(Object.keys(appOptionsSchema().shape));
const supported = (option) => shape.has(option);

test('ecosystem.config.cjs: every listed PM2 key is mapped or reported', async () => {
  const r = await load(fx('pm2', 'ecosystem.config.cjs'), { env: 'production' });
  assert.equal(r.format, 'pm2');
  const [api, jobs] = r.apps;
  assert.equal(api.name, 'api');
  assert.equal(api.script, './server.js');
  assert.deepEqual(api.args, ['--port', '3000', '--label', 'hello world']);
  assert.equal(api.instances, 'max', 'PM2 instances: 0 means one per core');
  assert.deepEqual(api.nodeArgs, ['--max-old-space-size=512']);
  assert.equal(api.maxRestarts, 5);
  assert.equal(api.minUptimeMs, 5000);
  assert.equal(api.killTimeoutMs, 3000);
  assert.equal(api.readyTimeoutMs, 8000);
  assert.equal(api.restartDelayMs, 200, 'exp_backoff_restart_delay is the first backoff step');
  assert.equal(api.maxRestartDelayMs, undefined);
  assert.deepEqual(api.stopExitCodes, [0]);
  assert.deepEqual(api.env, { NODE_ENV: 'production', PORT: '3000' });
  assert.equal(api.cwd, fx('pm2').replace(/\/$/, ''));
  // Mapped only when drover has the option (the schema decides at run time).
  if (supported('waitReady')) assert.equal(api.waitReady, true);
  if (supported('maxMemory')) assert.equal(api.maxMemory, '300M');
  if (supported('cronRestart')) assert.equal(api.cronRestart, '0 3 * * *');
  if (supported('watch')) assert.deepEqual(api.watch, ['src', 'src/**', 'config/*.json']);

  assert.equal(jobs.restart, 'never', 'autorestart: false');
  assert.equal(jobs.restartDelayMs, 1000);
  assert.equal(jobs.maxRestartDelayMs, 1000, 'restart_delay is a fixed delay in PM2');
  assert.equal(jobs.interpreter, 'node');
  assert.deepEqual(jobs.args, ['--queue', 'default']);
  assert.equal(jobs.instances, 2);

  // One warning lists every ignored key; notes are separate.
  const ignored = r.warnings.filter((w) => /ignored keys that drover does not support/.test(w));
  assert.equal(ignored.length, 1, r.warnings.join('\n'));
  const w = ignored[0];
  for (const key of ['deploy', 'vizion', 'pmx']) assert.match(w, new RegExp(`\\b${key} \\(`));
  const expectations = { ignore_watch: 'watchIgnore', out_file: 'outFile', error_file: 'errorFile', log_date_format: 'logDateFormat' };
  for (const [key, option] of Object.entries(expectations)) {
    if (supported(option)) assert.doesNotMatch(w, new RegExp(`\\b${key} \\(`));
    else assert.match(w, new RegExp(`${key} \\(apps\\[0\\] \\(api\\); needs option ${option}\\)`));
  }
  for (const key of ['merge_logs', 'exec_mode', 'name', 'script', 'env_production', 'stop_exit_codes']) {
    assert.doesNotMatch(w, new RegExp(`\\b${key} \\(`), `${key} is supported`);
  }
  assert.equal(jobs.execMode, 'fork', 'exec_mode fork: each process binds its own ports');
  assert.ok(r.warnings.some((x) => /interpreter \/usr\/local\/bin\/node: drover runs Node apps with its own node/.test(x)));
});

test('mapped PM2 apps validate against the app option schema (supervise() and log options)', async () => {
  for (const file of ['ecosystem.config.cjs', 'ecosystem.config.json', 'process.yml', 'detected.json', 'cjs-scope/ecosystem.config.js']) {
    const r = await load(fx('pm2', file));
    for (const app of r.apps) assert.equal(appOptionsSchema().safeParse(app).success, true, `${file}: ${JSON.stringify(app)}`);
  }
});

test('ecosystem.config.js in a CommonJS package loads with import()', async () => {
  const r = await load(fx('pm2', 'cjs-scope', 'ecosystem.config.js'), { env: 'staging' });
  assert.equal(r.format, 'pm2');
  assert.deepEqual(r.apps, [{ name: 'web', script: 'web.js', instances: 'max', killTimeoutMs: 1600, env: { STAGE: '1' }, cwd: fx('pm2', 'cjs-scope') }]);
  assert.deepEqual(r.warnings, []);
});

test('ecosystem.config.json: instances -1, byte sizes, env_<name>, typos hinted', async () => {
  const r = await load(fx('pm2', 'ecosystem.config.json'), { env: 'production' });
  const [api, py] = r.apps;
  assert.equal(api.instances, -1);
  if (supported('maxMemory')) assert.equal(api.maxMemory, 1048576);
  assert.deepEqual(api.env, { A: '2' });
  assert.equal(py.interpreter, 'python3');
  assert.equal(py.restart, 'never');
  assert.equal(py.instances, undefined);
  assert.equal(r.warnings.length, 1);
  assert.match(r.warnings[0], /intances \(apps\[1\] \(py\); not a PM2 key: did you mean "instances"\?\)/);
});

test('PM2 files are detected by content, and YAML PM2 files load', async () => {
  const d = await load(fx('pm2', 'detected.json'));
  assert.equal(d.format, 'pm2');
  assert.equal(d.apps[0].killTimeoutMs, 2000);
  const y = await load(fx('pm2', 'process.yml'));
  assert.equal(y.format, 'pm2');
  assert.deepEqual(y.apps[0].nodeArgs, ['--enable-source-maps']);
  assert.equal(y.apps[0].killTimeoutMs, 2500);
});

test('invalid PM2 values are reported with the PM2 key path', async () => {
  const err = await load(fx('broken', 'pm2', 'ecosystem.config.json')).then(
    () => assert.fail('should reject'),
    (e) => e,
  );
  assert.equal(err.code, 'DROVER_E_CONFIG');
  assert.match(err.message, /apps\[0\]\.kill_timeout: expected a number, got "abc"/);
  assert.match(err.message, /apps\[0\]\.instances: expected "max" or a whole number, got 1\.5/);
});

test('looksLikePm2: PM2-only keys without drover-only keys', () => {
  assert.equal(looksLikePm2([{ script: 'a.js', exec_mode: 'cluster' }]), true);
  assert.equal(looksLikePm2([{ script: 'a.js', instances: 2, env_production: {} }]), false);
  assert.equal(looksLikePm2([{ script: 'a.js', node_args: '-r x', killTimeoutMs: 10 }]), false, 'a mix is a drover file');
  assert.equal(looksLikePm2([{ script: 'a.js' }]), false);
});

test('mixed PM2/drover keys in a drover file: did-you-mean points at the drover name', async (t) => {
  const { writeFileSync } = await import('node:fs');
  const dir = tempDir(t, 'drover-mix-');
  writeFileSync(path.join(dir, 'drover.config.json'), JSON.stringify({ apps: [{ script: 'a.js', node_args: '-r x', killTimeoutMs: 10 }] }));
  await assert.rejects(load(path.join(dir, 'drover.config.json')), /apps\[0\]\.node_args: unknown key \(did you mean "nodeArgs"\?\)/);
});

test('the mapping table covers every PM2 key named in the issue', () => {
  const keys = new Set(PM2_RULES.map((r) => r.key));
  const issue = ['name', 'script', 'args', 'cwd', 'instances', 'exec_mode', 'node_args', 'interpreter', 'max_memory_restart', 'max_restarts', 'min_uptime', 'restart_delay',
    'exp_backoff_restart_delay', 'kill_timeout', 'listen_timeout', 'wait_ready', 'watch', 'ignore_watch', 'cron_restart', 'out_file', 'error_file', 'merge_logs',
    'log_date_format', 'stop_exit_codes', 'autorestart'];
  for (const k of issue) assert.ok(keys.has(k), k);
});

test('mapPm2App: conversions', () => {
  const m = mapPm2App({ script: 'a.js', instances: '4', kill_timeout: '3s', autorestart: true, watch: true, merge_logs: true, time: true, port: 8080, instance_var: 'NODE_APP_INSTANCE', treekill: true });
  assert.equal(m.options.instances, 4);
  assert.equal(m.options.killTimeoutMs, 3000);
  assert.equal(m.options.restart, undefined);
  assert.deepEqual(m.env, { PORT: '8080' });
  assert.deepEqual(m.unsupported, []);
  if (supported('watch')) assert.equal(m.options.watch, true);
  const n = mapPm2App({ script: 'a.js', instance_var: 'INSTANCE_ID', treekill: false, merge_logs: false, restart_delay: 500, exp_backoff_restart_delay: 100 });
  assert.deepEqual(n.unsupported.map((u) => u.key).sort(), ['instance_var', 'merge_logs', 'treekill']);
  assert.equal(n.options.restartDelayMs, 100);
  assert.match(n.notes.join(), /restart_delay is ignored/);
  assert.equal(mapPm2App({ script: 'a.js', instances: 'max' }).options.instances, 'max');
  assert.equal(mapPm2App({ script: 'a.js', exp_backoff_restart_delay: 30000 }).options.maxRestartDelayMs, 30000);
  assert.deepEqual(mapPm2App({ script: 'a.js', watch: './lib/' }).options.watch ?? ['lib', 'lib/**'], ['lib', 'lib/**']);
  assert.deepEqual(mapPm2App({ script: 'a.js', stop_exit_codes: 3 }).options.stopExitCodes, [3]);
});

test('splitArgs and parsePm2Duration', () => {
  assert.deepEqual(splitArgs(`a "b c" 'd e' f\\ g ""`), ['a', 'b c', 'd e', 'f g', '']);
  assert.deepEqual(splitArgs('  '), []);
  assert.equal(parsePm2Duration('1500'), 1500);
  assert.equal(parsePm2Duration('2s'), 2000);
  assert.equal(parsePm2Duration('1m'), 60000);
  assert.equal(parsePm2Duration('1h'), 3600000);
  assert.equal(parsePm2Duration(250), 250);
  assert.equal(parsePm2Duration('soon'), 'soon');
});

test('relative out_file/error_file of a PM2 file resolve against the app cwd, as PM2 does; drover files keep theirs relative (under the log directory)', async (t) => {
  const dir = tempDir(t, 'drover-pm2-logs-');
  mkdirSync(path.join(dir, 'api'));
  writeFileSync(path.join(dir, 'api', 'server.js'), '');
  writeFileSync(
    path.join(dir, 'ecosystem.config.cjs'),
    `module.exports = { apps: [{ name: 'api', script: 'server.js', cwd: 'api', out_file: 'logs/api-out.log', error_file: '/var/tmp/abs-err.log' }] };`,
  );
  const [api] = (await load(path.join(dir, 'ecosystem.config.cjs'))).apps;
  assert.equal(api.outFile, path.join(dir, 'api', 'logs', 'api-out.log'));
  assert.equal(api.errorFile, '/var/tmp/abs-err.log');

  writeFileSync(path.join(dir, 'drover.config.json'), JSON.stringify({ apps: [{ name: 'api', script: 'api/server.js', outFile: 'api-out.log' }] }));
  const [own] = (await load(path.join(dir, 'drover.config.json'))).apps;
  assert.equal(own.outFile, 'api-out.log');
});
