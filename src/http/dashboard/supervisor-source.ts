// The dashboard's source for one Supervisor in this process (drover run).
import { monotonicMs } from '../../platform/clock.js';
import type { LifecycleEvent } from '../../core/types.js';
import { DroverError } from '../../errors.js';
import { workerCount } from '../../core/wording.js';
import type { AppSupervisor as Supervisor } from '../../runtime/supervisor.js';
import type { WorkerSample } from '../../metrics/drover-metrics.js';
import type { ActionName, AppView, DashboardSource, LogEvent } from './source.js';

export const LOGGED_EVENTS = ['fork', 'ready', 'exit', 'crash', 'restart', 'hung', 'giveup', 'recycle', 'promote', 'scale', 'reload-start', 'reloaded', 'reload-failed', 'stopping'] as const;

export function eventText(e: LifecycleEvent): string {
  const who = 'slot' in e && 'pid' in e ? `worker ${e.slot} (pid ${e.pid})` : '';
  switch (e.event) {
    case 'exit':
      return `${who} exited: ${e.reason}${e.signal ? ` by ${e.signal}` : ` with code ${e.code}`}`;
    case 'crash':
      return `${who} crashed: ${e.error.split('\n')[0]}`;
    case 'restart':
      return `restarting worker ${e.slot} in ${e.delayMs} ms`;
    case 'hung':
      return `${who} hung: no heartbeat for ${e.silentMs} ms`;
    case 'giveup':
      return `gave up: ${e.restarts} restarts within ${e.windowMs} ms`;
    case 'scale':
      return `scaling from ${e.from} to ${workerCount(e.to)}`;
    case 'reload-start':
      return `reload ${e.id}: replacing ${workerCount(e.workers)}`;
    case 'reloaded':
      return `reload ${e.id} done in ${Math.round(e.durationMs)} ms`;
    case 'reload-failed':
      return `reload ${e.id} failed: ${e.message}`;
    case 'recycle':
      return `${who} recycled (${e.reason})`;
    case 'stopping':
      return 'stopping';
    default:
      return `${who} ${e.event}`.trim();
  }
}

export function eventLevel(e: LifecycleEvent): LogEvent['level'] {
  if (e.event === 'exit') return e.reason === 'crashed' || e.reason === 'killed' ? 'error' : 'info';
  if (e.event === 'crash' || e.event === 'giveup' || e.event === 'reload-failed') return 'error';
  return e.event === 'hung' || e.event === 'recycle' ? 'warn' : 'info';
}

interface CpuSample {
  readonly cpuUs: number;
  readonly at: number;
  readonly percent: number | undefined;
}

export class SupervisorSource implements DashboardSource {
  private readonly listeners = new Set<(e: LogEvent) => void>();
  private readonly restarts = new Map<number, number>();
  private readonly samples = new Map<number, WorkerSample>();
  private readonly cpu = new Map<number, CpuSample>();
  private readonly detach: () => void;

  constructor(private readonly supervisor: Supervisor) {
    const onEvent = (e: LifecycleEvent) => {
      if (e.event === 'restart') this.restarts.set(e.slot, (this.restarts.get(e.slot) ?? 0) + 1);
      if (e.event === 'exit') {
        this.samples.delete(e.wid);
        this.cpu.delete(e.wid);
      }
      const item: LogEvent = { app: supervisor.spec.name, at: Date.now(), event: e.event, level: eventLevel(e), text: eventText(e) };
      for (const fn of this.listeners) fn(item);
    };
    const onStats = (s: WorkerSample) => {
      this.samples.set(s.wid, s);
      if (s.cpuUs === undefined) return;
      const now = monotonicMs();
      const prev = this.cpu.get(s.wid);
      const percent = prev && now > prev.at ? ((s.cpuUs - prev.cpuUs) / 1000 / (now - prev.at)) * 100 : undefined;
      this.cpu.set(s.wid, { cpuUs: s.cpuUs, at: now, percent: percent === undefined ? undefined : Math.max(0, Math.round(percent * 10) / 10) });
    };
    for (const name of LOGGED_EVENTS) supervisor.on(name, onEvent);
    supervisor.on('stats', onStats);
    this.detach = () => {
      for (const name of LOGGED_EVENTS) supervisor.off(name, onEvent);
      supervisor.off('stats', onStats);
    };
  }

  async apps(): Promise<AppView[]> {
    const s = this.supervisor;
    return [
      {
        name: s.spec.name,
        phase: s.phase,
        desired: s.desired,
        workers: s.workers().map((w) => ({
          slot: w.slot,
          wid: w.wid,
          pid: w.pid,
          phase: w.phase,
          role: w.role,
          uptimeMs: w.uptimeMs,
          restarts: this.restarts.get(w.slot) ?? 0,
          cpu: this.cpu.get(w.wid)?.percent,
          rss: this.samples.get(w.wid)?.rss,
          lagMs: this.samples.get(w.wid)?.lagMs,
          connections: w.connections,
        })),
      },
    ];
  }

  subscribe(fn: (e: LogEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  async act(app: string, action: ActionName, args: { readonly instances?: number }): Promise<unknown> {
    const s = this.supervisor;
    if (app !== s.spec.name) throw new DroverError('DROVER_E_APP_NOT_FOUND', `no app ${JSON.stringify(app)} here: this master runs ${s.spec.name}`);
    switch (action) {
      case 'reload':
      // drover run has one master and no daemon to start a new one: a restart is a rolling replacement of every worker.
      case 'restart':
        return s.reload();
      case 'scale':
        if (args.instances === undefined) throw new DroverError('DROVER_E_INVALID_OPTION', 'scale needs instances: a whole number >= 0');
        s.scale(args.instances);
        return { to: args.instances };
      case 'stop':
        void s.stop();
        return { stopping: true };
      case 'start':
      case 'delete':
        throw new DroverError('DROVER_E_INVALID_OPTION', `${action} applies to an app the daemon keeps (drover start); this master runs in the foreground`);
      default: {
        const unknown: never = action;
        throw new DroverError('DROVER_E_INVALID_OPTION', `unknown action ${String(unknown)}`);
      }
    }
  }

  async logTail(): Promise<string[] | undefined> {
    return undefined;
  }

  close(): void {
    this.detach();
    this.listeners.clear();
  }
}
