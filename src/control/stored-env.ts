// What drover keeps of the environment of a `drover start` call (issue 15).
//
// - dump.json (`drover save`) keeps an app's declared env (--env, the config's
//   env blocks and env files) and, of the caller's environment, only what an
//   app needs to run the same way anywhere: the allow-list below. The rest of
//   the caller's environment (tool variables, a STRIPE_SK exported in the
//   shell) is not written. Secret values are never written, wherever they
//   come from: names that look secret (config/env.ts) and URLs with
//   credentials are kept by name only (also when they come from the caller's
//   environment), and `resurrect` takes their values from its own
//   environment. To keep another variable across resurrect, declare it
//   (--env KEY=VALUE or the config's env).
// - The daemon and the app masters the CLI or the daemon start run with a
//   minimal environment (supervisorEnv): a launch record's env reaches an app
//   master over a pipe and only its workers are started with it, so
//   /proc/<pid>/environ of the daemon and of a waiting (spare) master never
//   holds the caller's secrets.

const BASE_NAMES = new Set(['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LANGUAGE', 'TZ', 'TMPDIR', 'NODE_ENV', 'NODE_EXTRA_CA_CERTS']);

/** Caller variables dump.json keeps (values still subject to the secret rule). */
export function isSavedBaseVar(key: string): boolean {
  return BASE_NAMES.has(key) || /^LC_[A-Z]+$/.test(key) || /^DROVER_LOG_[A-Z_]+$/.test(key);
}

const SUPERVISOR_NAMES = new Set(['PATH', 'HOME', 'USER', 'LOGNAME', 'LANG', 'LANGUAGE', 'TZ', 'TMPDIR', 'NODE_EXTRA_CA_CERTS', 'NODE_DISABLE_COMPILE_CACHE', 'NODE_V8_COVERAGE']);

/** The environment of a daemon or app master process: locale, paths and drover's own settings (DROVER_*), nothing else. */
export function supervisorEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && (SUPERVISOR_NAMES.has(key) || /^LC_[A-Z]+$/.test(key) || /^DROVER_[A-Z0-9_]+$/.test(key))) out[key] = value;
  }
  return out;
}

export function pickEnv(env: Readonly<Record<string, string>>, keep: (key: string) => boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (keep(key)) out[key] = value;
  return out;
}
