// `drover generate …` and `drover startup systemd` through the real CLI: from
// a script with flags and from a config file, checked by systemd-analyze
// verify (where installed) and the Kubernetes schemas; hostile input writes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { CLI, fixture, ROOT } from '../helpers/drover.js';

const require = createRequire(import.meta.url);
const drover = (args, options = {}) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: ROOT, timeout: 30_000, ...options });
const hasAnalyze = spawnSync('systemd-analyze', ['--version'], { stdio: 'ignore' }).status === 0;

function tmp(t) {
  const dir = mkdtempSync(path.join(tmpdir(), 'drover-gen-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** systemd's own parser: no warning about any line of the unit. */
function verify(t, unitText, name = 'drover-test.service') {
  if (!hasAnalyze) return t.diagnostic('systemd-analyze not installed: unit not verified by systemd');
  const file = path.join(tmp(t), name);
  writeFileSync(file, unitText);
  const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8', timeout: 30_000 });
  const complaints = r.stderr.split('\n').filter((l) => l.includes(name));
  assert.deepEqual(complaints, [], `systemd-analyze verify: ${r.stderr}`);
  assert.equal(r.status, 0, r.stderr);
}

test('generate systemd <script> [run flags] -- args: a unit systemd accepts, running this drover on this node', (t) => {
  const r = drover(['generate', 'systemd', fixture('whoami.js'), '-i', '2', '--kill-timeout-ms', '9000', '--env', 'PORT=8080', '--user', 'root', '--systemd-version', '252', '--', '--flag', 'x y']);
  assert.equal(r.status, 0, r.stderr);
  const exec = r.stdout.split('\n').find((l) => l.startsWith('ExecStart='));
  assert.equal(exec, `ExecStart="${process.execPath}" "${CLI}" "run" "${fixture('whoami.js')}" "--instances=2" "--kill-timeout-ms=9000" "--" "--flag" "x y"`);
  assert.match(r.stdout, /^TimeoutStopSec=19$/m);
  assert.match(r.stdout, /^ExecReload=.*"signal-reload" \$MAINPID$/m);
  verify(t, r.stdout);
  const modern = drover(['generate', 'systemd', fixture('whoami.js'), '--user', 'root', '--systemd-version', '253']);
  assert.match(modern.stdout, /^Type=notify-reload$/m);
  assert.doesNotMatch(modern.stdout, /^ExecReload=/m);
});

test('generate systemd with a hostile --name: refused with DROVER_E_UNSAFE_VALUE (109), nothing written', (t) => {
  const out = path.join(tmp(t), 'unit.service');
  const r = drover(['generate', 'systemd', fixture('whoami.js'), '--name', 'x\nExecStartPre=/bin/touch /tmp/pwned', '--user', 'root', '-o', out]);
  assert.equal(r.status, 109, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /contains a control character.*\[DROVER_E_UNSAFE_VALUE\]/);
  assert.throws(() => readFileSync(out));
  // Quotes, $ and % are escaped, and systemd parses the result without complaint.
  const odd = drover(['generate', 'systemd', fixture('whoami.js'), '--name', 'a"$HOME%i b', '--user', 'root']);
  assert.equal(odd.status, 0, odd.stderr);
  assert.match(odd.stdout, /"--name=a\\"\$\$HOME%%i b"/);
  verify(t, odd.stdout);
});

test('generate from a config file: one app, or --app among several; -o refuses to overwrite without --force', (t) => {
  const dir = tmp(t);
  const config = path.join(dir, 'drover.config.json');
  writeFileSync(config, JSON.stringify({ apps: [{ name: 'web', script: fixture('whoami.js'), cwd: path.dirname(fixture('whoami.js')), instances: 3, env: { PORT: '8081' } }, { name: 'jobs', script: fixture('whoami.js') }] }));
  const several = drover(['generate', 'k8s', config]);
  assert.equal(several.status, 110, several.stderr);
  assert.match(several.stderr, /has 2 apps: pass --app with one of "web", "jobs"/);
  const out = path.join(dir, 'web.yaml');
  const r = drover(['generate', 'k8s', config, '--app', 'web', '--image', 'reg.example/web:1', '--pdb', '-o', out], { cwd: path.dirname(fixture('whoami.js')) });
  assert.equal(r.status, 0, r.stderr);
  const docs = parseAllDocuments(readFileSync(out, 'utf8')).map((d) => d.toJS());
  const models = {
    Deployment: require('kubernetes-models/apps/v1/Deployment').Deployment,
    Service: require('kubernetes-models/v1/Service').Service,
    PodDisruptionBudget: require('kubernetes-models/policy/v1/PodDisruptionBudget').PodDisruptionBudget,
  };
  for (const doc of docs) new models[doc.kind](doc).validate();
  const container = docs[0].spec.template.spec.containers[0];
  assert.equal(container.image, 'reg.example/web:1');
  assert.deepEqual(container.resources.limits, { cpu: '3' });
  assert.ok(container.args.includes('--name=web') && container.args.includes('--instances=3'));
  assert.equal(container.ports[0].containerPort, 8081);
  const again = drover(['generate', 'k8s', config, '--app', 'web', '-o', out]);
  assert.equal(again.status, 65, again.stderr);
  assert.match(again.stderr, /exists: pass --force/);
  assert.equal(drover(['generate', 'k8s', config, '--app', 'web', '-o', out, '--force']).status, 0);
});

test('generate dockerfile: the script path inside the image is relative to the app directory', () => {
  const r = drover(['generate', 'dockerfile', 'test/fixtures/whoami.js', '-i', 'max', '--node-version', '22']);
  assert.equal(r.status, 0, r.stderr);
  const cmd = JSON.parse(r.stdout.split('\n').find((l) => l.startsWith('CMD ')).slice(4));
  assert.deepEqual(cmd, ['node', 'node_modules/drover/dist/cli/main.js', 'run', 'test/fixtures/whoami.js', '--instances=max']);
  assert.match(r.stdout, /^FROM node:22-bookworm-slim$/m);
});

test('startup systemd: a unit for the daemon that systemd accepts', (t) => {
  const r = drover(['startup', 'systemd', '--user', 'root'], { env: { ...process.env, DROVER_HOME: '/var/lib/drover test' } });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^Type=notify$/m);
  assert.match(r.stdout, /^Environment="DROVER_HOME=\/var\/lib\/drover test"$/m);
  assert.match(r.stdout, /^ReadWritePaths="\/var\/lib\/drover test"$/m);
  assert.match(r.stdout, /^ExecStop=.*"kill"$/m);
  verify(t, r.stdout, 'drover.service');
});

test('generate or startup without a target kind: their help and a usage error (64)', () => {
  for (const args of [['generate'], ['startup'], ['generate', 'bogus']]) {
    const r = drover(args);
    assert.equal(r.status, 64, `${args.join(' ')}: ${r.stderr}`);
  }
  assert.match(drover(['generate']).stderr, /systemd .*\n[\s\S]*k8s[\s\S]*dockerfile/);
});
