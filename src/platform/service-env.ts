// Variables systemd gives the service's main process only. A worker or agent
// that inherited them could notify (or feed the watchdog) on the master's
// behalf: an app that calls sd_notify(READY=1) at its own start would tell
// systemd the whole service is ready, and one that pings the watchdog would
// keep a hung master alive.
export const SERVICE_ONLY_ENV = ['NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID'] as const;

/** Removes them from a child's environment (in place) and returns it. */
export function withoutServiceEnv<T extends Record<string, string | undefined>>(env: T): T {
  for (const key of SERVICE_ONLY_ENV) delete env[key];
  return env;
}
