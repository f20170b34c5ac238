// The dashboard's source for the daemon's apps: the views and event logs come
// from each app master's HTTP socket (polled once a second while a browser
// watches), the actions go through the daemon's control socket, exactly as
// the CLI's `drover reload/restart/scale/stop` do.
import type { DroverPaths } from '../../control/paths.js';
import { ControlClient } from '../../control/client.js';
import type { DaemonCommands } from '../../control/commands.js';
import { DroverError, type ErrorCode } from '../../errors.js';
import { tailLines } from '../../logs/tail.js';
import { askMaster, masterSockets } from '../masters.js';
import type { Numbered } from './ring.js';
import type { ActionName, AppView, DashboardSource, LogEvent } from './source.js';

const POLL_MS = 1_000;

export class DaemonSource implements DashboardSource {
  private readonly listeners = new Set<(e: LogEvent) => void>();
  /** The last event id seen per app master (each master numbers its own). */
  private readonly seen = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly paths: DroverPaths) {}

  async apps(): Promise<AppView[]> {
    const [answers, listed] = await Promise.all([
      Promise.all(masterSockets(this.paths).map(({ socket }) => askMaster<{ apps: AppView[] }>(socket, '/dashboard/apps.json').then((a) => a.apps, () => []))),
      // The daemon's list adds the apps that have no master now (stopped, errored): they can be started or deleted.
      this.withDaemon((c) => c.call('list', {}, { timeoutMs: 5_000 })).catch(() => []),
    ]);
    const running = answers.flat();
    const names = new Set(running.map((a) => a.name));
    const ended = listed
      .filter((a) => !names.has(a.name) && (a.status === 'stopped' || a.status === 'errored'))
      .map((a): AppView => ({ name: a.name, phase: a.status, desired: a.desired, workers: [], ...(a.lastError ? { error: `${a.lastError.message} [${a.lastError.code}]` } : {}) }));
    return [...running, ...ended].sort((a, b) => a.name.localeCompare(b.name));
  }

  private async poll(): Promise<void> {
    await Promise.all(
      masterSockets(this.paths).map(async ({ name, socket }) => {
        const after = this.seen.get(name);
        const log = await askMaster<{ events: Numbered<LogEvent>[] }>(socket, `/dashboard/log.json${after === undefined ? '' : `?after=${after}`}`).catch(() => undefined);
        if (!log || log.events.length === 0) return;
        this.seen.set(name, log.events[log.events.length - 1]!.id);
        for (const e of log.events) for (const fn of this.listeners) fn(e.data);
      }),
    );
  }

  subscribe(fn: (e: LogEvent) => void): () => void {
    this.listeners.add(fn);
    this.timer ??= setInterval(() => void this.poll().catch(() => {}), POLL_MS);
    return () => {
      this.listeners.delete(fn);
      if (this.listeners.size === 0) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    };
  }

  private async connect(): Promise<ControlClient<DaemonCommands>> {
    return ControlClient.connect<DaemonCommands>(this.paths.socket, { timeoutMs: 5_000 });
  }

  private async withDaemon<T>(fn: (client: ControlClient<DaemonCommands>) => Promise<T>): Promise<T> {
    const client = await this.connect();
    try {
      return await fn(client);
    } finally {
      client.destroy();
    }
  }

  async act(app: string, action: ActionName, args: { readonly instances?: number }): Promise<unknown> {
    const options = { timeoutMs: 120_000 };
    return this.withDaemon(async (c) => {
      switch (action) {
        case 'scale':
          if (args.instances === undefined || !Number.isInteger(args.instances)) throw new DroverError('DROVER_E_INVALID_OPTION', 'scale needs instances: a whole number >= 0');
          return c.call('scale', { name: app, instances: args.instances }, options);
        case 'stop':
          return c.call('stop', { target: [app] }, options);
        case 'delete':
          return c.call('delete', { target: [app] }, options);
        case 'reload':
        case 'restart':
        // `drover start <name>` of a stopped or errored app is the daemon's restart of it, with its saved options.
        case 'start': {
          const results = action === 'reload' ? await c.call('reload', { target: [app] }, options) : await c.call('restart', { target: [app] }, options);
          const failed = results.find((r) => !r.ok && r.error);
          if (failed?.error) throw new DroverError(failed.error.code as ErrorCode, failed.error.message);
          return results;
        }
        default: {
          const unknown: never = action;
          throw new DroverError('DROVER_E_INVALID_OPTION', `unknown action ${String(unknown)}`);
        }
      }
    });
  }

  async logTail(app: string, lines: number): Promise<string[] | undefined> {
    const d = await this.withDaemon((c) => c.call('describe', { name: app }, { timeoutMs: 15_000 }));
    if (!d.logs) return undefined;
    const out = await tailLines(d.logs.out, lines).catch(() => []);
    if (d.logs.err === d.logs.out) return out;
    const err = await tailLines(d.logs.err, lines).catch(() => []);
    return [...out, ...(err.length > 0 ? ['--- stderr ---', ...err] : [])];
  }

  close(): void {
    clearInterval(this.timer);
    this.listeners.clear();
  }
}
