// The dashboard's source for the daemon's apps: the views and event logs come
// from each app master's HTTP socket (polled once a second while a browser
// watches), the actions go through the daemon's control socket, exactly as
// the CLI's `drover reload/restart/scale/stop` do.
import type { DroverPaths } from '../../daemon/paths.js';
import { ControlClient } from '../../daemon/protocol.js';
import { DroverError, type ErrorCode } from '../../errors.js';
import { tailLines } from '../../logs/tail.js';
import { askMaster, masterSockets } from '../masters.js';
import type { Numbered } from './ring.js';
import type { ActionName, AppView, DashboardSource, LogEvent } from './source.js';

const POLL_MS = 1_000;

interface Settled {
  readonly name: string;
  readonly ok: boolean;
  readonly error?: { readonly code: ErrorCode; readonly message: string };
}

export class DaemonSource implements DashboardSource {
  private readonly listeners = new Set<(e: LogEvent) => void>();
  /** The last event id seen per app master (each master numbers its own). */
  private readonly seen = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly paths: DroverPaths) {}

  async apps(): Promise<AppView[]> {
    const answers = await Promise.all(masterSockets(this.paths).map(({ socket }) => askMaster<{ apps: AppView[] }>(socket, '/dashboard/apps.json').then((a) => a.apps, () => [])));
    return answers.flat().sort((a, b) => a.name.localeCompare(b.name));
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

  private async call<T>(command: string, args: Record<string, unknown>): Promise<T> {
    const client = await ControlClient.connect(this.paths.socket, { timeoutMs: 5_000 });
    try {
      return await client.call<T>(command, args, { timeoutMs: 120_000 });
    } finally {
      client.destroy();
    }
  }

  async act(app: string, action: ActionName, args: { readonly instances?: number }): Promise<unknown> {
    if (action === 'scale') return this.call('scale', { name: app, instances: args.instances });
    const results = await this.call<Settled[] | Array<{ name: string; exitCode: number }>>(action, { target: [app] });
    for (const r of results) {
      const s = r as Settled;
      if (s.ok === false && s.error) throw new DroverError(s.error.code, s.error.message);
    }
    return results;
  }

  async logTail(app: string, lines: number): Promise<string[] | undefined> {
    const d = await this.call<{ logs?: { out: string; err: string } }>('describe', { name: app });
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
