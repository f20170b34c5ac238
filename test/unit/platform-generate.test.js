// The generators' content: systemd units, Kubernetes manifests (validated
// against the Kubernetes schemas by kubernetes-models), the Dockerfile, and
// hostile names and paths that must stay inert.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { parseAllDocuments } from 'yaml';
import { dnsLabel, systemdEnvironment, systemdUser, systemdWord, unitFileName } from '../../dist/platform/generate/escape.js';
import { renderDaemonUnit, renderRunUnit, STOP_MARGIN_S } from '../../dist/platform/generate/systemd-unit.js';
import { GRACE_MARGIN_S, k8sManifests, PRESTOP_SLEEP_S, renderK8s } from '../../dist/platform/generate/k8s.js';
import { renderDockerfile } from '../../dist/platform/generate/dockerfile.js';

const require = createRequire(import.meta.url);
const MODELS = {
  Deployment: require('kubernetes-models/apps/v1/Deployment').Deployment,
  Service: require('kubernetes-models/v1/Service').Service,
  PodDisruptionBudget: require('kubernetes-models/policy/v1/PodDisruptionBudget').PodDisruptionBudget,
};

const target = (over = {}) => ({
  name: 'api',
  script: '/srv/api/server.js',
  cwd: '/srv/api',
  runArgs: ['--instances=4', '--kill-timeout-ms=12000'],
  appArgs: [],
  env: { PORT: '8080' },
  instances: 4,
  workers: 4,
  killTimeoutMs: 12_000,
  port: 8080,
  ...over,
});
const runUnit = (over = {}, version = 252) =>
  renderRunUnit({ target: target(over), node: '/usr/bin/node', droverCli: '/opt/drover/dist/cli/main.js', user: 'app', readWrite: ['/srv/api'], header: 'test', systemdVersion: version });
const directives = (unit, key) => unit.split('\n').filter((l) => l.startsWith(`${key}=`)).map((l) => l.slice(key.length + 1));

test('systemd run unit: Type=notify + waiting ExecReload before 253, notify-reload from 253; the rest as the issue lists', () => {
  const old = runUnit();
  assert.deepEqual(directives(old, 'Type'), ['notify']);
  assert.deepEqual(directives(old, 'ExecReload'), ['"/usr/bin/node" "/opt/drover/dist/cli/main.js" "signal-reload" $MAINPID']);
  const modern = runUnit({}, 253);
  assert.deepEqual(directives(modern, 'Type'), ['notify-reload']);
  assert.deepEqual(directives(modern, 'ExecReload'), []);
  for (const unit of [old, modern]) {
    assert.deepEqual(directives(unit, 'ExecStart'), ['"/usr/bin/node" "/opt/drover/dist/cli/main.js" "run" "/srv/api/server.js" "--instances=4" "--kill-timeout-ms=12000"']);
    assert.deepEqual(directives(unit, 'NotifyAccess'), ['all']);
    assert.deepEqual(directives(unit, 'KillMode'), ['mixed']);
    assert.deepEqual(directives(unit, 'TimeoutStopSec'), [String(12 + STOP_MARGIN_S)]);
    assert.ok(12 + STOP_MARGIN_S > 12, 'above the kill timeout');
    assert.deepEqual(directives(unit, 'Restart'), ['on-failure']);
    assert.deepEqual(directives(unit, 'User'), ['app']);
    assert.deepEqual(directives(unit, 'NoNewPrivileges'), ['yes']);
    assert.deepEqual(directives(unit, 'ProtectSystem'), ['strict']);
    assert.deepEqual(directives(unit, 'ReadWritePaths'), ['"/srv/api"']);
    assert.deepEqual(directives(unit, 'PrivateTmp'), ['yes']);
    assert.deepEqual(directives(unit, 'WorkingDirectory'), ['/srv/api']);
    assert.deepEqual(directives(unit, 'Environment'), ['"NODE_ENV=production"', '"PORT=8080"']);
  }
});

test('systemd daemon unit: Type=notify, the daemon in the foreground, resurrect at start, drover kill at stop', () => {
  const unit = renderDaemonUnit({ node: '/usr/bin/node', droverCli: '/opt/d/cli/main.js', droverDaemon: '/opt/d/daemon/main.js', user: 'app', home: '/home/app/.drover', readWrite: ['/home/app/.drover'], header: 't', stopTimeoutSec: 60 });
  assert.deepEqual(directives(unit, 'Type'), ['notify']);
  assert.deepEqual(directives(unit, 'ExecStart'), ['"/usr/bin/node" "/opt/d/daemon/main.js"']);
  assert.deepEqual(directives(unit, 'ExecStartPost'), ['-"/usr/bin/node" "/opt/d/cli/main.js" "resurrect"']);
  assert.deepEqual(directives(unit, 'ExecStop'), ['"/usr/bin/node" "/opt/d/cli/main.js" "kill"']);
  assert.deepEqual(directives(unit, 'Environment'), ['"DROVER_HOME=/home/app/.drover"']);
  assert.deepEqual(directives(unit, 'KillMode'), ['mixed']);
});

test('hostile names and paths: a newline is refused, quotes, $ and % are escaped for systemd', () => {
  for (const name of ['api\nExecStartPre=/bin/sh -c "rm -rf /"', 'api\rUser=root', 'a\u2028b', 'x\u0000']) {
    assert.throws(() => runUnit({ name }), { code: 'DROVER_E_UNSAFE_VALUE' });
    assert.throws(() => k8sManifests({ target: target({ name }), image: 'i', replicas: 1, pdb: false, cpus: 1, metricsPort: 9091, header: 'h', scriptInImage: 's.js' }), { code: 'DROVER_E_UNSAFE_VALUE' });
  }
  assert.throws(() => runUnit({ script: '/srv/api/x\n.js' }), { code: 'DROVER_E_UNSAFE_VALUE' });
  assert.throws(() => runUnit({ env: { 'A\nB': '1' } }), { code: 'DROVER_E_UNSAFE_VALUE' });
  assert.throws(() => runUnit({ env: { A: 'x\nExecStart=/bin/evil' } }), { code: 'DROVER_E_UNSAFE_VALUE' });
  assert.equal(systemdWord('w', 'a"b\\c$HOME%i'), '"a\\"b\\\\c$$HOME%%i"');
  assert.equal(systemdEnvironment('K', 'v "q" 100%'), '"K=v \\"q\\" 100%%"');
  assert.throws(() => systemdUser('root\nExecStart=x'), { code: 'DROVER_E_UNSAFE_VALUE' });
  assert.throws(() => systemdUser('a b'), { code: 'DROVER_E_UNSAFE_VALUE' });
  assert.equal(systemdUser('www-data'), 'www-data');
  assert.equal(dnsLabel('n', 'My API!'), 'my-api');
  assert.equal(dnsLabel('n', '../../etc/passwd'), 'etc-passwd');
  assert.throws(() => dnsLabel('n', '!!!'), { code: 'DROVER_E_UNSAFE_VALUE' });
  assert.equal(unitFileName('../x y'), 'drover-x-y.service');
  const unit = runUnit({ name: 'a"$b%c' });
  assert.deepEqual(directives(unit, 'Description'), ['drover: a"$b%%c']);
  assert.equal(unit.split('\n').filter((l) => l.startsWith('[')).length, 3, 'still three sections');
});

const k8sOptions = (over = {}, t = {}) => ({ target: target(t), image: 'registry.example/api:1', replicas: 3, pdb: true, cpus: 2, metricsPort: 9091, header: 'h', scriptInImage: 'server.js', ...over });

test('k8s: Deployment, Service, PodDisruptionBudget pass the Kubernetes schemas (kubernetes-models validate())', async () => {
  const docs = parseAllDocuments(await renderK8s(k8sOptions())).map((d) => d.toJS());
  assert.deepEqual(docs.map((d) => d.kind), ['Deployment', 'Service', 'PodDisruptionBudget']);
  for (const doc of docs) new MODELS[doc.kind](doc).validate();
  const without = parseAllDocuments(await renderK8s(k8sOptions({ pdb: false }))).map((d) => d.toJS());
  assert.deepEqual(without.map((d) => d.kind), ['Deployment', 'Service']);
});

test('k8s: a broken manifest fails validation (the check can fail)', () => {
  const [deployment] = k8sManifests(k8sOptions());
  deployment.spec.template.spec.terminationGracePeriodSeconds = 'soon';
  assert.throws(() => new MODELS.Deployment(deployment).validate());
});

test('k8s: probes, grace period, tini, CPU tied to workers, non-root', () => {
  const [deployment, service] = k8sManifests(k8sOptions());
  const pod = deployment.spec.template.spec;
  const c = pod.containers[0];
  assert.deepEqual([c.startupProbe.httpGet.path, c.readinessProbe.httpGet.path, c.livenessProbe.httpGet.path], ['/readyz', '/readyz', '/livez']);
  assert.ok(c.livenessProbe.failureThreshold > c.readinessProbe.failureThreshold);
  assert.deepEqual(c.lifecycle.preStop.exec.command, ['sleep', String(PRESTOP_SLEEP_S)]);
  assert.equal(pod.terminationGracePeriodSeconds, PRESTOP_SLEEP_S + 12 + GRACE_MARGIN_S);
  assert.deepEqual(c.command, ['/usr/bin/tini', '--']);
  assert.deepEqual(c.args.slice(0, 4), ['node', 'node_modules/drover/dist/cli/main.js', 'run', 'server.js']);
  for (const flag of ['--metrics-port', '--health-public']) assert.ok(c.args.includes(flag), flag);
  assert.deepEqual(c.resources, { requests: { cpu: '4' }, limits: { cpu: '4' } });
  assert.equal(pod.securityContext.runAsNonRoot, true);
  assert.equal(c.securityContext.allowPrivilegeEscalation, false);
  assert.equal(service.spec.ports[0].targetPort, 'http');
  // -i max: the pod's CPUs decide, and drover's max follows the quota.
  const [maxDeployment] = k8sManifests(k8sOptions({ cpus: 3 }, { instances: 'max', workers: 2 }));
  assert.deepEqual(maxDeployment.spec.template.spec.containers[0].resources.limits, { cpu: '3' });
});

test('k8s: hostile env values and names stay data (YAML-quoted), names become DNS labels', async () => {
  const text = await renderK8s(k8sOptions({}, { name: 'My App: v2', env: { PORT: '8080', NOTE: 'a: b # c', Q: '"; kind: Secret' } }));
  const docs = parseAllDocuments(text).map((d) => d.toJS());
  assert.equal(docs.length, 3);
  assert.equal(docs[0].metadata.name, 'my-app-v2');
  const env = Object.fromEntries(docs[0].spec.template.spec.containers[0].env.map((e) => [e.name, e.value]));
  assert.equal(env.NOTE, 'a: b # c');
  assert.equal(env.Q, '"; kind: Secret');
  for (const doc of docs) new MODELS[doc.kind](doc).validate();
});

test('Dockerfile: two stages, tini entrypoint, non-root user, exec-form CMD with the script inside the image', () => {
  const text = renderDockerfile({ target: target({ runArgs: ['--instances=max'] }), nodeMajor: 22, scriptInImage: 'server.js', header: 'h' });
  const lines = text.split('\n');
  assert.equal(lines.filter((l) => l.startsWith('FROM node:22-bookworm-slim')).length, 2);
  assert.ok(lines.includes('ENTRYPOINT ["/usr/bin/tini", "--"]'));
  assert.ok(lines.includes('USER node'));
  assert.ok(lines.some((l) => /apt-get install .*tini/.test(l)));
  assert.ok(lines.includes('EXPOSE 8080'));
  const cmd = JSON.parse(lines.find((l) => l.startsWith('CMD ')).slice(4));
  assert.deepEqual(cmd, ['node', 'node_modules/drover/dist/cli/main.js', 'run', 'server.js', '--instances=max']);
  assert.throws(() => renderDockerfile({ target: target(), nodeMajor: 22, scriptInImage: 'a\nRUN evil', header: 'h' }), { code: 'DROVER_E_UNSAFE_VALUE' });
});
