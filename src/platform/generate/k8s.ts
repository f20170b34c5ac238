// Kubernetes manifests for one app: a Deployment (one pod = one drover master
// and its workers; the cluster scales pods, drover the workers inside), a
// Service, and optionally a PodDisruptionBudget. Plain objects, written as
// YAML by the yaml package (which quotes whatever needs it).
//
// - Probes use the health endpoints of `drover run --metrics-port` (the
//   observability issue): /readyz for startup and readiness (503 while
//   starting or draining), /livez for liveness with a higher failureThreshold
//   (a slow moment should take a pod out of the Service, not restart it).
//   `--health-public` exempts those two paths from the metrics token, since the
//   kubelet sends none; the metrics themselves stay behind it.
// - Shutdown: Kubernetes removes the pod from the Service endpoints and sends
//   SIGTERM at the same time, so some traffic still arrives for a moment. The
//   preStop sleep holds SIGTERM back until the endpoints have caught up; then
//   drover drains (kill timeout). terminationGracePeriodSeconds covers both and
//   a margin, or the kubelet SIGKILLs mid-drain.
// - CPU: requests and limits equal the worker count, and drover's `max`
//   follows the cgroup quota (platform/cpu-quota.ts), so one never outgrows the other.
// - tini is the container's command (PID 1, reaps zombies); drover runs as its child.
import { dnsLabel, envKey, plain } from './escape.js';
import { seconds, type GenTarget } from './target.js';

export const PRESTOP_SLEEP_S = 5;
export const GRACE_MARGIN_S = 5;
export const DEFAULT_METRICS_PORT = 9091;
export const DEFAULT_APP_PORT = 3000;

export interface K8sOptions {
  readonly target: GenTarget;
  readonly image: string;
  readonly replicas: number;
  readonly pdb: boolean;
  /** CPUs per pod when the app has `instances: 'max'` (the quota then sets the worker count). */
  readonly cpus: number;
  readonly metricsPort: number;
  readonly header: string;
  /** Path of the drover CLI inside the image, relative to the app directory. */
  readonly droverCli?: string;
  /** Path of the script inside the image (relative to the app directory). */
  readonly scriptInImage: string;
}

export type Manifest = Record<string, unknown>;

export function k8sManifests(o: K8sOptions): Manifest[] {
  const t = o.target;
  const name = dnsLabel('app name', t.name);
  const labels = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/managed-by': 'drover' };
  const selector = { 'app.kubernetes.io/name': name };
  const port = t.port ?? DEFAULT_APP_PORT;
  const cpus = t.instances === 'max' ? o.cpus : t.workers;
  const drover = o.droverCli ?? 'node_modules/drover/dist/cli/main.js';
  const args = [
    'node',
    drover,
    'run',
    o.scriptInImage,
    ...t.runArgs,
    '--metrics-port',
    String(o.metricsPort),
    '--metrics-host',
    '0.0.0.0',
    '--health-public',
    ...(t.appArgs.length > 0 ? ['--', ...t.appArgs] : []),
  ].map((a) => plain('command line word', a));
  const env = [
    { name: 'PORT', value: String(port) },
    { name: 'NODE_ENV', value: t.env.NODE_ENV ?? 'production' },
    { name: 'DROVER_CONTAINER', value: '1' },
    // The root file system is read-only: drover's compile cache goes to the writable /tmp.
    { name: 'DROVER_HOME', value: '/tmp/drover' },
    ...Object.entries(t.env)
      .filter(([k]) => !['PORT', 'NODE_ENV', 'DROVER_CONTAINER', 'DROVER_HOME'].includes(k))
      .map(([k, v]) => ({ name: envKey(k), value: plain(`env ${k}`, v) })),
  ];
  const probe = (path: string, periodSeconds: number, failureThreshold: number) => ({
    httpGet: { path, port: 'metrics' },
    periodSeconds,
    timeoutSeconds: 2,
    failureThreshold,
  });
  const deployment: Manifest = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels },
    spec: {
      replicas: o.replicas,
      selector: { matchLabels: selector },
      template: {
        metadata: { labels },
        spec: {
          terminationGracePeriodSeconds: PRESTOP_SLEEP_S + seconds(t.killTimeoutMs) + GRACE_MARGIN_S,
          securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name,
              image: plain('image', o.image),
              command: ['/usr/bin/tini', '--'],
              args,
              env,
              ports: [
                { name: 'http', containerPort: port, protocol: 'TCP' },
                { name: 'metrics', containerPort: o.metricsPort, protocol: 'TCP' },
              ],
              resources: { requests: { cpu: String(cpus) }, limits: { cpu: String(cpus) } },
              startupProbe: probe('/readyz', 2, 60),
              readinessProbe: probe('/readyz', 5, 2),
              livenessProbe: probe('/livez', 10, 6),
              lifecycle: { preStop: { exec: { command: ['sleep', String(PRESTOP_SLEEP_S)] } } },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } },
              volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
            },
          ],
          volumes: [{ name: 'tmp', emptyDir: {} }],
        },
      },
    },
  };
  const service: Manifest = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, labels },
    spec: { selector, ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }] },
  };
  const manifests = [deployment, service];
  if (o.pdb) {
    manifests.push({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name, labels },
      // One pod may go at a time; with one replica, a drain waits for nothing (maxUnavailable 1).
      spec: { maxUnavailable: 1, selector: { matchLabels: selector } },
    });
  }
  return manifests;
}

export async function renderK8s(o: K8sOptions): Promise<string> {
  const { stringify } = await import('yaml');
  return `# ${o.header}\n${k8sManifests(o)
    .map((m) => stringify(m, { lineWidth: 0, aliasDuplicateObjects: false }))
    .join('---\n')}`;
}
