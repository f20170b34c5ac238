// systemd's watchdog (WatchdogSec=): the service must send WATCHDOG=1 at
// least every WATCHDOG_USEC, or systemd kills and restarts it. drover pings
// at half that interval from the master's own event loop, so a blocked master
// stops pinging by itself, and only while its workers answer heartbeats: the
// ping says "this app serves", not just "this process exists".

/** The part of the environment systemd sets for the watchdog. */
export interface WatchdogEnv {
  readonly WATCHDOG_USEC?: string | undefined;
  readonly WATCHDOG_PID?: string | undefined;
}

/**
 * Half of WATCHDOG_USEC in ms, or undefined when there is no watchdog for
 * this process: unset, not a positive number, or WATCHDOG_PID names another
 * process (systemd sets it to the main pid; a child must not ping for it).
 */
export function watchdogIntervalMs(env: WatchdogEnv, pid: number): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!env.WATCHDOG_USEC || !Number.isFinite(usec) || usec <= 0) return undefined;
  if (env.WATCHDOG_PID !== undefined && env.WATCHDOG_PID !== '' && Number(env.WATCHDOG_PID) !== pid) return undefined;
  return Math.max(1, Math.floor(usec / 2 / 1000));
}

export interface AppHealth {
  readonly phase: 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';
  readonly desired: number;
  /** Active (not spare) workers that are ready and whose heartbeat is not overdue. */
  readonly answering: number;
}

/**
 * Whether a ping is deserved: while starting (systemd's start timeout covers
 * a slow boot), and while running with at least one worker answering
 * heartbeats (or none wanted). A stopping app no longer pings: systemd's stop
 * timeout takes over.
 */
export function watchdogHealthy(h: AppHealth): boolean {
  if (h.phase === 'starting') return true;
  if (h.phase !== 'running') return false;
  return h.desired === 0 || h.answering > 0;
}

export interface WatchdogTimers {
  readonly setInterval: (fn: () => void, ms: number) => unknown;
  readonly clearInterval: (handle: unknown) => void;
}

/** Pings every intervalMs while healthy() holds; stop() ends it. */
export function startWatchdog(
  intervalMs: number,
  healthy: () => boolean,
  ping: () => void,
  timers: WatchdogTimers = { setInterval: (fn, ms) => setInterval(fn, ms).unref(), clearInterval: (h) => clearInterval(h as NodeJS.Timeout) },
): () => void {
  const handle = timers.setInterval(() => {
    if (healthy()) ping();
  }, intervalMs);
  return () => timers.clearInterval(handle);
}
