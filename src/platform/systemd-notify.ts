// `drover run` under systemd (Type=notify / notify-reload): the supervisor's
// lifecycle, told to systemd.
//   started                 → READY=1, STATUS=n/n workers ready
//   reload-start            → RELOADING=1, MONOTONIC_USEC=<now>
//   reloaded, reload-failed → READY=1 (a failed reload leaves the old workers serving)
//   stopping                → STOPPING=1
//   worker ready/exit/hung  → STATUS=
//   every WATCHDOG_USEC/2   → WATCHDOG=1 while healthy (watchdog.ts)
// The master's own environment keeps NOTIFY_SOCKET and WATCHDOG_*; workers
// never get them (service-env.ts), or an app using sd_notify would speak for
// the whole service.
import type { EventEmitter } from 'node:events';
import { findSystemdNotify, monotonicUsec, NotifyQueue, systemdNotifySender, type NotifySend } from './sd-notify.js';
import { startWatchdog, watchdogHealthy, watchdogIntervalMs, type AppHealth } from './watchdog.js';

/** What this needs of a Supervisor (runtime/supervisor.ts). */
export interface NotifiedApp extends EventEmitter {
  readonly phase: AppHealth['phase'];
  readonly desired: number;
  workers(): ReadonlyArray<{ readonly wid: number; readonly phase: string; readonly role: string }>;
}

export interface SystemdLink {
  /** Waits (bounded) until the messages queued so far were sent. */
  close(): Promise<void>;
}

export interface SystemdOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly pid?: number;
  /** Replaces systemd-notify (tests). */
  readonly send?: NotifySend;
  readonly warn?: (message: string) => void;
}

const CLOSE_TIMEOUT_MS = 5_000;

/** Connects an app to systemd when NOTIFY_SOCKET is set; undefined otherwise. */
export function attachSystemd(app: NotifiedApp, options: SystemdOptions = {}): SystemdLink | undefined {
  const env = options.env ?? process.env;
  const pid = options.pid ?? process.pid;
  const warn = options.warn ?? ((m: string) => process.stderr.write(`drover: warning: ${m}\n`));
  const socket = env.NOTIFY_SOCKET;
  if (!socket) return undefined;
  if (!socket.startsWith('/') && !socket.startsWith('@')) {
    warn(`NOTIFY_SOCKET=${JSON.stringify(socket)} is neither a path nor an abstract socket (@name): not notifying systemd`);
    return undefined;
  }
  let send = options.send;
  if (!send) {
    const binary = findSystemdNotify();
    if (!binary) {
      warn('NOTIFY_SOCKET is set but the systemd-notify program was not found: install systemd, or use Type=simple in the unit');
      return undefined;
    }
    send = systemdNotifySender({ socket, pid, binary });
  }
  let failures = 0;
  const queue = new NotifyQueue(send, (err) => {
    // Once is enough: a broken socket fails every message the same way.
    if (failures++ === 0) warn(`could not notify systemd: ${err.message}`);
  });

  const hung = new Set<number>();
  const answering = () => app.workers().filter((w) => w.phase === 'ready' && w.role === 'active' && !hung.has(w.wid)).length;
  const status = () => queue.notify({ STATUS: `${answering()}/${app.desired} workers ready` });
  let started = false;
  const on = (event: string, fn: (e: Record<string, unknown>) => void) => {
    app.on(event, fn);
    return () => app.off(event, fn);
  };
  const offs = [
    on('started', () => {
      started = true;
      queue.notify({ READY: '1', STATUS: `${answering()}/${app.desired} workers ready` });
    }),
    on('reload-start', (e) => queue.notify({ RELOADING: '1', MONOTONIC_USEC: monotonicUsec(), STATUS: `reloading: replacing ${String(e.workers)} workers` })),
    on('reloaded', () => queue.notify({ READY: '1', STATUS: `${answering()}/${app.desired} workers ready` })),
    on('reload-failed', (e) => queue.notify({ READY: '1', STATUS: `reload failed, the previous workers keep serving: ${String(e.message)}` })),
    on('stopping', () => queue.notify({ STOPPING: '1', STATUS: 'stopping: draining workers' })),
    on('giveup', () => queue.notify({ STATUS: 'gave up: workers crashed too often' })),
    on('hung', (e) => {
      hung.add(e.wid as number);
      if (started) status();
    }),
    on('exit', (e) => {
      hung.delete(e.wid as number);
      if (started && app.phase === 'running') status();
    }),
    on('ready', () => started && app.phase === 'running' && status()),
  ];

  const intervalMs = watchdogIntervalMs(env, pid);
  const stopWatchdog = intervalMs
    ? startWatchdog(
        intervalMs,
        () => watchdogHealthy({ phase: app.phase, desired: app.desired, answering: answering() }),
        () => queue.notify({ WATCHDOG: '1' }),
      )
    : () => {};

  return {
    async close() {
      stopWatchdog();
      for (const off of offs) off();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([queue.flush(), new Promise((resolve) => (timer = setTimeout(resolve, CLOSE_TIMEOUT_MS)))]);
      clearTimeout(timer);
    },
  };
}
