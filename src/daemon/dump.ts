// `drover save` / `drover resurrect`: the app list in DROVER_HOME/dump.json.
//
// Written atomically (a temp file in the same directory, fsync, rename), mode
// 0600. Of the caller's environment only an allow-list is kept (stored-env.ts
// says what and why). Secret env values are never written (PM2's `save` dumps every app's
// env, secrets included): keys that look secret (isSecretEnvKey) and values
// with credentials in a URL are left out and listed by name, and resurrect
// takes them from its own environment.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { isSecretEnvKey, redactEnv } from '../config/env.js';
import { DroverError } from '../errors.js';
import type { LaunchRecord } from '../control/records.js';
import { isSavedBaseVar, pickEnv } from '../control/stored-env.js';

export const DUMP_VERSION = 1;

export interface DumpedApp {
  readonly name: string;
  readonly record: LaunchRecord;
  /** Keys left out of record.options.env and record.env because their values are secret. */
  readonly secrets: { readonly declared: readonly string[]; readonly env: readonly string[] };
}

export interface Dump {
  readonly version: number;
  readonly savedAt: string;
  readonly apps: readonly DumpedApp[];
}

/** Splits env into what may be written and the names of what may not. */
function withoutSecrets(env: Readonly<Record<string, string>>): { kept: Record<string, string>; secret: string[] } {
  const redacted = redactEnv(env);
  const kept: Record<string, string> = {};
  const secret: string[] = [];
  for (const [key, value] of Object.entries(env)) {
    if (isSecretEnvKey(key) || redacted[key] !== value) secret.push(key);
    else kept[key] = value;
  }
  return { kept, secret };
}

export function dumpApp({ spec: _spec, ...record }: LaunchRecord): DumpedApp {
  const declared = withoutSecrets((record.options.env ?? {}) as Record<string, string>);
  const base = withoutSecrets(record.env);
  return {
    name: record.name,
    // hook (issue 15): of the caller's environment, the allow-list's values and secrets' names only (stored-env.ts).
    record: { ...record, options: { ...record.options, env: declared.kept }, env: pickEnv(base.kept, isSavedBaseVar) },
    secrets: { declared: declared.secret, env: base.secret },
  };
}

export function writeDump(file: string, records: readonly LaunchRecord[]): Dump {
  const dump: Dump = { version: DUMP_VERSION, savedAt: new Date().toISOString(), apps: records.map(dumpApp) };
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(dump, null, 2)}\n`);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {}
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, file);
  return dump;
}

export function readDump(file: string): Dump {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new DroverError('DROVER_E_NO_DUMP', `nothing saved: ${file} does not exist; run drover save while your apps run`, { file });
    }
    throw err;
  }
  let dump: Dump;
  try {
    dump = JSON.parse(text) as Dump;
  } catch (err) {
    throw new DroverError('DROVER_E_CONFIG', `${file} is not valid JSON (${(err as Error).message}): run drover save again`, { file });
  }
  if (dump.version !== DUMP_VERSION || !Array.isArray(dump.apps)) {
    throw new DroverError('DROVER_E_CONFIG', `${file} is not a drover dump of version ${DUMP_VERSION}: run drover save again`, { file });
  }
  return dump;
}

/**
 * The launch record to start from a dumped app: secret values are taken from
 * `env` (the environment of `drover resurrect`, or of the daemon restoring
 * after a crash); the keys found nowhere are returned as missing.
 */
export function restoreApp(app: DumpedApp, env: Readonly<Record<string, string | undefined>>): { record: LaunchRecord; missing: string[] } {
  const missing: string[] = [];
  const fill = (target: Record<string, string>, keys: readonly string[]) => {
    for (const key of keys) {
      const value = env[key];
      if (value === undefined) missing.push(key);
      else target[key] = value;
    }
  };
  const declared = { ...((app.record.options.env ?? {}) as Record<string, string>) };
  const base = { ...app.record.env };
  fill(declared, app.secrets.declared);
  fill(base, app.secrets.env.filter((k) => !app.secrets.declared.includes(k)));
  return { record: { ...app.record, options: { ...app.record.options, env: declared }, env: base }, missing: [...new Set(missing)] };
}
