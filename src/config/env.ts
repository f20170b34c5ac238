// The environment a worker gets, and which of its values are secret.
//
// Contract (PM2 #3486, #3672): a worker's env is recomputed on every start,
// restart and reload as `base` (the environment of the `drover start` call,
// captured once per app) with the app's declared env on top. It is never
// derived from a previous worker's env, so a key removed from the config is
// gone after the next restart.

/**
 * Variables that belong to the process that ran drover, not to the app: a
 * NODE_UNIQUE_ID inherited from a cluster worker would make Node's `cluster`
 * in the app believe it is a worker, and a stale NODE_CHANNEL_FD points at a
 * descriptor the app does not have.
 */
const NOT_INHERITED = new Set(['NODE_UNIQUE_ID', 'NODE_CHANNEL_FD', 'NODE_CHANNEL_SERIALIZATION_MODE']);

export function buildEnv(
  base: Readonly<Record<string, string | undefined>>,
  declared: Readonly<Record<string, string>>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) {
    if (value !== undefined && !NOT_INHERITED.has(key)) env[key] = value;
  }
  for (const [key, value] of Object.entries(declared)) env[key] = value;
  return env;
}

// Names that look secret. Also whole tokens such as STRIPE_SK, SIGNING_KEY, SENTRY_DSN, *_SALT (issue 15).
export const DEFAULT_SECRET_PATTERN = /(SECRET|TOKEN|PASSWORD|PASSWD|PASSPHRASE|PRIVATE|API_?KEY|CREDENTIAL|AUTH(?!OR)|SESSION|COOKIE|(^|_)(SK|KEY|DSN|SALT)(_|$))/i;

export const REDACTED = '[redacted]';

/** True for keys that look secret by name, or that an app lists in secretEnv. */
export function isSecretEnvKey(key: string, secretKeys: readonly string[] = [], pattern: RegExp = DEFAULT_SECRET_PATTERN): boolean {
  return secretKeys.includes(key) || pattern.test(key);
}

/** scheme://user:password@ (the password is group 2's match, replaced). */
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/[^/:@\s]*):[^/@\s]+@/gi;
const URL_CREDENTIALS_AT_START = new RegExp(`^${URL_CREDENTIALS.source}`, 'i');
/** name=value, name: value, "name":"value" (JSON), where the name looks secret (DEFAULT_SECRET_PATTERN). */
// The value is a lookahead: in "status: DB_PASSWORD=x" the next name starts where the last separator ended.
const ASSIGNMENT = /([A-Za-z_][\w.-]*)("?\s*[=:]\s*"?)(?=([^\s"',;&]+))/g;
const AUTH_SCHEME = /\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{8,}/gi;

/**
 * A log line as the dashboard may show it: values of secret-looking names
 * (PASSWORD=…, "apiKey": "…"), credentials in URLs, Authorization schemes,
 * and any of the given literal values (the endpoint's own token) replaced.
 * By pattern, like redactEnv: a secret printed bare, without its name, stays.
 */
export function redactLine(line: string, literals: readonly string[] = []): string {
  let out = line.replace(URL_CREDENTIALS, `$1:${REDACTED}@`).replace(AUTH_SCHEME, `$1 ${REDACTED}`);
  const cuts: Array<[number, number]> = [];
  for (const m of out.matchAll(ASSIGNMENT)) {
    const value = m[3]!;
    if (value !== REDACTED && isSecretEnvKey(m[1]!)) cuts.push([m.index + m[0].length, value.length]);
  }
  for (const [at, length] of cuts.reverse()) out = `${out.slice(0, at)}${REDACTED}${out.slice(at + length)}`;
  for (const s of literals) if (s.length >= 8) out = out.split(s).join(REDACTED);
  return out;
}

/**
 * A copy of env with secret values replaced, for list/describe/dump output.
 * Values that embed credentials in a URL (postgres://user:pass@host) are
 * redacted too, keeping the rest of the URL readable.
 */
export function redactEnv(
  env: Readonly<Record<string, string | undefined>>,
  options: { secretKeys?: readonly string[]; pattern?: RegExp } = {},
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (isSecretEnvKey(key, options.secretKeys, options.pattern)) out[key] = REDACTED;
    else out[key] = value.replace(URL_CREDENTIALS_AT_START, `$1:${REDACTED}@`);
  }
  return out;
}
