// What the dashboard shows and does, independent of where the apps run: one
// Supervisor in this process (drover run) or the daemon's app masters.

export interface WorkerView {
  readonly slot: number;
  readonly wid: number;
  readonly pid: number | undefined;
  readonly phase: string;
  readonly role: string;
  readonly uptimeMs: number;
  /** Restarts of this slot since the master started. */
  readonly restarts: number;
  /** Share of one core, percent, since the previous heartbeat. */
  readonly cpu: number | undefined;
  readonly rss: number | undefined;
  readonly lagMs: number | undefined;
  readonly connections: number;
}

export interface AppView {
  readonly name: string;
  readonly phase: string;
  readonly desired: number;
  readonly workers: readonly WorkerView[];
  /** A stopped or errored app under the daemon: why it ended, if it failed (secrets redacted like any text). */
  readonly error?: string;
}

/** A lifecycle event for the log: fork, exit, restart, hung, giveup, reload… */
export interface LogEvent {
  readonly app: string;
  readonly at: number;
  readonly event: string;
  readonly level: 'info' | 'warn' | 'error';
  readonly text: string;
}

/** start and delete: a stopped or errored app under the daemon (drover run has nothing to start or delete). */
export type ActionName = 'reload' | 'restart' | 'scale' | 'stop' | 'start' | 'delete';
export const ACTIONS: readonly ActionName[] = ['reload', 'restart', 'scale', 'stop', 'start', 'delete'];

export interface DashboardSource {
  apps(): Promise<AppView[]>;
  /** Lifecycle events as they happen; returns an unsubscribe function. */
  subscribe(fn: (e: LogEvent) => void): () => void;
  act(app: string, action: ActionName, args: { readonly instances?: number }): Promise<unknown>;
  /** The last lines of an app's log, or undefined when it has no log file (drover run). */
  logTail(app: string, lines: number): Promise<string[] | undefined>;
  close(): void;
}
