// drover's own metric families for one app master, in a prom-client registry:
// lifecycle counters fed by the supervisor's events, gauges read at scrape
// time. The master's own process metrics (prefixed drover_master_, so they
// never collide with the workers' default metrics merged into the same page)
// are process-metrics.ts.
//
// Naming: base units, _total counters, _info; `worker` is the stable slot,
// never a pid (a pid label makes a new series on every restart).
import type { Registry } from 'prom-client';
import type { LifecycleEvent } from '../core/types.js';
import type { AppSupervisor as Supervisor, WorkerInfo } from '../runtime/supervisor.js';
import type { Prom } from './prom.js';
import type { StoreStats } from '../state/client.js';
import { RestartCauses } from './restarts.js';
import { registerStateMetrics } from './state-metrics.js';
import { monotonicMs } from '../platform/clock.js';

/** What a worker's heartbeat reply carries (the supervisor re-emits it as 'stats'). */
export interface WorkerSample {
  readonly wid: number;
  readonly rss: number;
  readonly lagMs: number;
  readonly heapUsed?: number;
  readonly cpuUs?: number;
}

const WORKER_STATES = ['starting', 'online', 'ready', 'spare', 'stopping'] as const;

/** One worker per slot for per-slot gauges: during a replacement, the newest process. */
export function newestPerSlot(workers: readonly WorkerInfo[]): WorkerInfo[] {
  const bySlot = new Map<number, WorkerInfo>();
  for (const w of workers) if ((bySlot.get(w.slot)?.wid ?? -1) < w.wid) bySlot.set(w.slot, w);
  return [...bySlot.values()].sort((a, b) => a.slot - b.slot);
}

export class DroverMetrics {
  readonly registry: Registry;
  /** The state store's families, apart: they change with no lifecycle event, so they are read at every scrape. */
  readonly stateRegistry: Registry;
  /** The state store's figures that stateRegistry's families show (one request per turn, shared). */
  readonly stateStats: () => Promise<StoreStats | undefined>;
  readonly collectErrors;
  private readonly samples = new Map<number, WorkerSample>();
  /** Connections handed to each live worker when last seen, and the sum for exited ones. */
  private readonly handed = new Map<number, number>();
  private handedRetired = 0;
  private readonly reloadStarts = new Map<number, number>();
  private readonly detach: () => void;

  constructor(
    prom: Prom,
    private readonly supervisor: Supervisor,
    version: string,
    /** Under the daemon: the app log writer's counts (drover run has no log files: 0). */
    logStats?: () => { readonly dropped: number },
  ) {
    const app = supervisor.spec.name;
    const registry = (this.registry = new prom.Registry());
    registry.setDefaultLabels({ app });
    const self = this;
    const opts = { registers: [registry] };
    this.stateRegistry = new prom.Registry();
    this.stateRegistry.setDefaultLabels({ app });
    this.stateStats = registerStateMetrics(prom, this.stateRegistry, supervisor.store);

    new prom.Gauge({
      ...opts,
      name: 'drover_app_info',
      help: 'The app this master supervises (always 1).',
      labelNames: ['version', 'node', 'balance', 'mode'],
      collect() {
        const spec = supervisor.spec;
        this.set({ version, node: process.versions.node, balance: spec.balance, mode: spec.mode }, 1);
      },
    });
    new prom.Gauge({
      ...opts,
      name: 'drover_workers',
      help: 'Worker processes by state (spare: ready, held back from traffic).',
      labelNames: ['state'],
      collect() {
        const counts = new Map<string, number>(WORKER_STATES.map((s) => [s, 0]));
        for (const w of supervisor.workers()) {
          const state = w.role === 'spare' && w.phase === 'ready' ? 'spare' : w.phase;
          counts.set(state, (counts.get(state) ?? 0) + 1);
        }
        for (const [state, n] of counts) this.set({ state }, n);
      },
    });
    new prom.Gauge({
      ...opts,
      name: 'drover_workers_desired',
      help: 'Workers the app should run.',
      collect() {
        this.set(supervisor.desired);
      },
    });
    const restarts = new prom.Counter({ ...opts, name: 'drover_worker_restarts_total', help: 'Workers replaced, by slot and reason.', labelNames: ['worker', 'reason'] });
    const perWorker = (name: string, help: string, value: (w: WorkerInfo, s: WorkerSample | undefined) => number | undefined) =>
      new prom.Gauge({
        ...opts,
        name,
        help,
        labelNames: ['worker'],
        collect() {
          this.reset();
          for (const w of newestPerSlot(supervisor.workers())) {
            const v = value(w, self.samples.get(w.wid));
            if (v !== undefined && Number.isFinite(v)) this.set({ worker: String(w.slot) }, v);
          }
        },
      });
    perWorker('drover_worker_start_time_seconds', 'Start time of the worker process in the slot, seconds since the epoch.', (w) => (Date.now() - w.uptimeMs) / 1000);
    perWorker('drover_worker_resident_memory_bytes', 'Resident memory of the worker (from its last heartbeat).', (_w, s) => s?.rss);
    perWorker('drover_worker_heap_used_bytes', 'V8 heap in use in the worker (from its last heartbeat).', (_w, s) => s?.heapUsed);
    perWorker('drover_worker_eventloop_lag_seconds', "p99 event-loop delay of the worker since its previous heartbeat.", (_w, s) => (s ? s.lagMs / 1000 : undefined));
    perWorker('drover_worker_connections', 'Open connections of the worker.', (w) => w.connections);
    new prom.Counter({
      ...opts,
      name: 'drover_worker_cpu_seconds_total',
      help: 'CPU time (user + system) of the worker process now in the slot; starts from 0 with each new process.',
      labelNames: ['worker'],
      collect() {
        this.reset();
        for (const w of newestPerSlot(supervisor.workers())) {
          const s = self.samples.get(w.wid);
          if (s?.cpuUs !== undefined) this.inc({ worker: String(w.slot) }, s.cpuUs / 1e6);
        }
      },
    });
    new prom.Counter({
      ...opts,
      name: 'drover_balancer_connections_total',
      help: "Connections the master's balancer handed to workers.",
      collect() {
        self.noteHanded(supervisor.workers());
        this.reset();
        let live = 0;
        for (const n of self.handed.values()) live += n;
        this.inc(self.handedRetired + live);
      },
    });
    const reloads = new prom.Counter({ ...opts, name: 'drover_reloads_total', help: 'Rolling reloads by result.', labelNames: ['result'] });
    const reloadDuration = new prom.Histogram({
      ...opts,
      name: 'drover_reload_duration_seconds',
      help: 'Duration of rolling reloads (finished or failed).',
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    });
    const giveups = new prom.Counter({ ...opts, name: 'drover_giveups_total', help: 'Times the supervisor gave up restarting workers.' });
    const misses = new prom.Counter({ ...opts, name: 'drover_heartbeat_misses_total', help: 'Workers found hung (no heartbeat reply in time), by slot.', labelNames: ['worker'] });
    this.collectErrors = new prom.Counter({
      ...opts,
      name: 'drover_metrics_collect_errors_total',
      help: 'App metric snapshots a worker did not deliver in time (its last one was used), by slot.',
      labelNames: ['worker'],
    });
    new prom.Counter({
      ...opts,
      name: 'drover_messages_total',
      help: "Messages through the master: the message hub's frames by kind (send, publish, request, reply; the workers', the agent's and the master's own) and drover's IPC messages from workers (ipc).",
      labelNames: ['kind'],
      collect() {
        this.reset();
        const counts = supervisor.messageCounts();
        for (const kind of ['send', 'publish', 'request', 'reply', 'ipc'] as const) this.inc({ kind }, counts[kind]);
      },
    });
    // Under `drover run` the workers write to the inherited stdout/stderr themselves: no line passes through the
    // master, none can be dropped, and the family reads 0 (present in both settings, for the same alerts).
    new prom.Counter({
      ...opts,
      name: 'drover_log_lines_dropped_total',
      help: "Lines of the workers' output dropped because the log file could not keep up.",
      collect() {
        this.reset();
        this.inc(logStats?.().dropped ?? 0);
      },
    });
    for (const r of ['success', 'failure', 'refused']) reloads.inc({ result: r }, 0);
    giveups.inc(0);

    const causes = new RestartCauses();
    const onEvent = (e: LifecycleEvent) => {
      const restart = causes.note(e);
      if (restart) restarts.inc({ worker: String(restart.slot), reason: restart.reason });
      switch (e.event) {
        case 'exit':
          this.samples.delete(e.wid);
          this.handedRetired += this.handed.get(e.wid) ?? 0;
          this.handed.delete(e.wid);
          return;
        case 'hung':
          return void misses.inc({ worker: String(e.slot) });
        case 'giveup':
          return void giveups.inc();
        case 'reload-start':
          return void this.reloadStarts.set(e.id, monotonicMs());
        case 'reloaded':
        case 'reload-failed': {
          reloads.inc({ result: e.event === 'reloaded' ? 'success' : 'failure' });
          const started = this.reloadStarts.get(e.id);
          this.reloadStarts.delete(e.id);
          if (started !== undefined) reloadDuration.observe((monotonicMs() - started) / 1000);
          return;
        }
        case 'reload-refused':
          return void reloads.inc({ result: 'refused' });
        default:
          return;
      }
    };
    const EVENTS = ['crash', 'hung', 'exit', 'restart', 'promote', 'recycle', 'stopping', 'giveup', 'reload-start', 'reloaded', 'reload-failed', 'reload-refused'] as const;
    const onStats = (s: WorkerSample) => {
      this.samples.set(s.wid, s);
      this.noteHanded(supervisor.workers());
    };
    for (const name of EVENTS) supervisor.on(name, onEvent);
    supervisor.on('stats', onStats);
    this.detach = () => {
      for (const name of EVENTS) supervisor.off(name, onEvent);
      supervisor.off('stats', onStats);
    };
  }

  /** Balancer hand-offs are known only while a worker lives: remember them at every look. */
  private noteHanded(workers: readonly WorkerInfo[]): void {
    for (const w of workers) if (w.connectionsHanded >= (this.handed.get(w.wid) ?? 0)) this.handed.set(w.wid, w.connectionsHanded);
  }

  close(): void {
    this.detach();
  }
}
