// The rules of a pre-booted worker's environment (runtime/preboot.ts), apart
// so the CLI can name its caller's start-up variables to the master it boots
// (cli/prestart-spawn.ts) without loading the rest.
import type { AppSpec } from '../core/types.js';

/**
 * Variables the pre-booted process keeps from its master's own. Of drover's
 * only DROVER_HOME, which marks every process of a home (what `drover kill`
 * and the tests' leak checks look for); never DROVER_WORKER_ID, so the
 * preload it loads stays inert until the launch.
 */
const BOOT_KEEP = /^(PATH|HOME|USER|LOGNAME|SHELL|TMPDIR|TZ|DROVER_HOME)$/;

/** Read by Node, libuv, glibc, OpenSSL or ICU when a process starts (runtime/preboot.ts lists them). */
const STARTUP_VAR = /^(NODE_|UV_|LD_|MALLOC_|OPENSSL_|SSL_CERT_|LC_)|^(GLIBC_TUNABLES|LANG|LANGUAGE)$/;
const APP_ONLY = new Set(['NODE_ENV', 'NODE_APP_INSTANCE']);

/**
 * The master's variable that carries its starter's start-up variables (JSON):
 * `drover start` sets it on the master it boots, so an app started from the
 * same shell (NODE_EXTRA_CA_CERTS, LANG, ...) can take the pre-booted worker.
 */
export const PREBOOT_ENV = 'DROVER_PREBOOT_ENV';

/** The start-up variables of env (the CLI's, for PREBOOT_ENV). */
export function startupEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined && STARTUP_VAR.test(key) && !APP_ONLY.has(key)) out[key] = value;
  return out;
}

/** The pre-booted process's start-up env: a few of the master's own, and its starter's start-up variables (PREBOOT_ENV). */
export function bootEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined && (BOOT_KEEP.test(key) || (STARTUP_VAR.test(key) && !APP_ONLY.has(key) && key !== 'MALLOC_ARENA_MAX'))) out[key] = value;
  let given: unknown;
  try {
    given = JSON.parse(env[PREBOOT_ENV] ?? '{}');
  } catch {
    given = {};
  }
  if (typeof given === 'object' && given !== null) for (const [key, value] of Object.entries(given)) if (typeof value === 'string' && STARTUP_VAR.test(key) && !APP_ONLY.has(key)) out[key] = value;
  return out;
}

/**
 * Why the pre-booted process cannot be this worker (undefined: it can).
 * Pure: the rules listed at the top of runtime/preboot.ts.
 */
export function prebootMismatch(
  spec: Pick<AppSpec, 'mode' | 'interpreter' | 'nodeArgs'>,
  booted: Readonly<Record<string, string>>,
  env: Readonly<Record<string, string | undefined>>,
  pipes: boolean,
): string | undefined {
  if (spec.mode !== 'node' || spec.interpreter !== undefined) return 'not a Node script';
  if (spec.nodeArgs.length > 0) return 'node arguments';
  if (!pipes) return 'output not piped';
  for (const key of new Set([...Object.keys(booted), ...Object.keys(env)])) {
    if (!STARTUP_VAR.test(key) || APP_ONLY.has(key)) continue;
    if (booted[key] !== (env[key] ?? undefined)) return `environment variable ${key}`;
  }
  return undefined;
}

