// Config files: drover.config.{ts,mts,cts,js,mjs,cjs,json,yaml,yml} and PM2
// ecosystem files, read, mapped and validated before anything starts. Every
// problem is a DROVER_E_CONFIG (exit 78) naming the file and the key path.
//
// Relative paths (cwd, env_file) are resolved against the config file's
// directory, so `drover start /srv/app/drover.config.js` behaves the same
// from any directory.
//
// Finding a file is find.ts, reading it into a value read.ts; here the value is
// mapped (PM2 keys, env blocks, env files) and validated.
import { existsSync } from 'node:fs';
// platform hook (issue 14): the cgroup CPU quota caps the cores.
import { availableCpus } from '../platform/cpu-quota.js';
import path from 'node:path';
import { DroverError, isDroverError } from '../errors.js';
import { validateCron } from './cron.js';
import { readEnvFile } from './env-file.js';
import { appOptionsSchema, configError, describeIssue, fileAppSchema, formatPath, type IssueText, type PathSegment } from './file-schema.js';
import { looksLikePm2, mapPm2App } from './pm2.js';
import { resolveInstances } from './resolve.js';
import { defaultAppName } from './names.js';
import { parseSize } from './size.js';
import type { AppOptions } from './log-options.js';
import { didYouMean } from './suggest.js';

import { readConfigValue } from './read.js';
import { isEcosystemName } from './find.js';

export { CONFIG_EXTENSIONS, CONFIG_FILE_NAMES, findConfigFile } from './find.js';
export { isConfigFileName } from './names.js';

export type ConfigFormat = 'drover' | 'pm2';

export interface LoadOptions {
  /** `--env NAME`: env_NAME is applied over env. */
  readonly env?: string;
  /** Skip detection (by file name, then by content). */
  readonly format?: ConfigFormat;
  /**
   * The environment of the `drover start` call. Variables from env files do
   * not override it (the dotenv rule), so `PORT=8080 drover start` beats a
   * PORT in .env; declared env (env, env_NAME) does override it.
   */
  readonly callerEnv?: Readonly<Record<string, string | undefined>>;
  /** For tests: the core count that negative `instances` are checked against. */
  readonly cores?: number;
}

export interface LoadedConfig {
  readonly apps: AppOptions[];
  readonly warnings: string[];
  readonly file: string;
  readonly format: ConfigFormat;
}

// ---------------------------------------------------------------------------
// From the file's value to validated options

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

const ENV_BLOCK = /^env_(.+)$/;

/** Env blocks allow numbers and booleans (YAML's PORT: 3000); anything else is reported. */
function coerceEnvBlock(value: unknown, at: PathSegment[], problems: IssueText[]): Record<string, string> {
  if (value === null || value === undefined) return {}; // YAML `env_production:` with nothing under it
  if (!isPlainObject(value)) {
    problems.push({ path: at, text: `expected an object of NAME: value, got ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}` });
    return {};
  }
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) {
    if (typeof v === 'string') out[key] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') out[key] = String(v);
    else if (v === undefined || v === null) continue;
    else problems.push({ path: [...at, key], text: `expected a string, got ${Array.isArray(v) ? 'an array' : 'an object'}` });
  }
  return out;
}

function envFileList(value: unknown, at: PathSegment[], problems: IssueText[]): string[] | false | undefined {
  if (value === undefined) return undefined;
  if (value === false) return false;
  if (typeof value === 'string' && value) return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string' && v)) return value as string[];
  problems.push({ path: at, text: 'expected a path, a list of paths, or false (no automatic .env)' });
  return undefined;
}


/** Checks that need more than the schema: negative instances against the cores, cron syntax, sizes, delay ordering. */
function semanticProblems(options: Record<string, unknown>, at: PathSegment[], keyOf: (k: string) => string, cores: number): IssueText[] {
  const problems: IssueText[] = [];
  const parsed = appOptionsSchema().parse(options);
  const attempt = (key: string, check: () => void) => {
    try {
      check();
    } catch (err) {
      const message = (err as Error).message.replace(/^cronRestart |^maxMemory /, '');
      problems.push({ path: [...at, keyOf(key)], text: message });
    }
  };
  if (typeof parsed.instances === 'number' && parsed.instances < 0) attempt('instances', () => resolveInstances(parsed.instances, cores));
  if (parsed.cronRestart !== undefined) attempt('cronRestart', () => validateCron(parsed.cronRestart!));
  if (parsed.maxMemory !== undefined) attempt('maxMemory', () => parseSize(parsed.maxMemory!));
  if (parsed.maxRestartDelayMs < parsed.restartDelayMs) {
    problems.push({
      path: [...at, keyOf('maxRestartDelayMs')],
      text: `${parsed.maxRestartDelayMs} is below restartDelayMs (${parsed.restartDelayMs}): raise the cap`,
    });
  }
  return problems;
}

interface PendingApp {
  readonly index: number;
  readonly options: Record<string, unknown>;
  readonly envFiles: string[] | false | undefined;
  readonly envFileKey: string;
}

export async function loadConfigFile(file: string, options: LoadOptions = {}): Promise<LoadedConfig> {
  const abs = path.resolve(file);
  const dir = path.dirname(abs);
  const cores = options.cores ?? availableCpus();
  const { value, warnings: readWarnings } = await readConfigValue(abs);
  const warnings = [...readWarnings];
  const problems: IssueText[] = [];
  const ignored = new Map<string, string[]>(); // key → where (and why)
  const ignore = (key: string, where: string) => ignored.set(key, [...(ignored.get(key) ?? []), where]);

  let format: ConfigFormat | undefined = options.format ?? (isEcosystemName(abs) ? 'pm2' : undefined);
  let apps: unknown;
  if (Array.isArray(value) && format !== 'drover') {
    // PM2 accepts a bare array of apps in JSON files.
    apps = value;
    format ??= 'pm2';
  } else if (isPlainObject(value)) {
    apps = value.apps;
    if (!Array.isArray(apps)) {
      const guess = didYouMean('apps', Object.keys(value).filter((k) => k !== 'apps'));
      throw configError(abs, [
        {
          path: ['apps'],
          text:
            apps === undefined
              ? `is required: the file must export { apps: [ { script: ... }, ... ] }${guess ? ` (found "${guess}")` : ''}`
              : `expected an array of apps, got ${isPlainObject(apps) ? 'an object' : JSON.stringify(apps)}`,
        },
      ]);
    }
    format ??= looksLikePm2(apps) ? 'pm2' : 'drover';
    for (const key of Object.keys(value)) {
      if (key === 'apps' || key === '$schema') continue;
      if (format === 'pm2') ignore(key, 'top level');
      else problems.push({ path: [key], text: `unknown key${key === 'app' ? ' (did you mean "apps"?)' : ''}: the file has only "apps"` });
    }
  } else {
    throw configError(abs, [{ path: [], text: `expected an object with an "apps" array, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}` }]);
  }
  const list = apps as unknown[];
  if (list.length === 0) throw configError(abs, [{ path: ['apps'], text: 'is empty: add at least one app ({ script: "app.js" })' }]);

  const envName = options.env;
  let envSelected = false;
  const pending: PendingApp[] = [];
  const droverKeys = () => [...Object.keys(appOptionsSchema().shape), 'envFile'];

  list.forEach((entry, index) => {
    const at: PathSegment[] = ['apps', index];
    if (!isPlainObject(entry)) {
      problems.push({ path: at, text: `expected an object ({ script: ... }), got ${entry === null ? 'null' : Array.isArray(entry) ? 'an array' : JSON.stringify(entry)}` });
      return;
    }
    const rest: Record<string, unknown> = {};
    let declared: Record<string, string> = {};
    let selected: Record<string, string> | undefined;
    let envFiles: string[] | false | undefined;
    let envFileKey = 'envFile';
    const appProblems: IssueText[] = [];
    for (const [key, v] of Object.entries(entry)) {
      if (key === 'env') declared = coerceEnvBlock(v, [...at, key], appProblems);
      else if (key === 'env_file' || key === 'envFile') {
        envFiles = envFileList(v, [...at, key], appProblems);
        envFileKey = key;
      } else if (ENV_BLOCK.test(key)) {
        const block = coerceEnvBlock(v, [...at, key], appProblems);
        if (envName !== undefined && key === `env_${envName}`) selected = block;
      } else rest[key] = v;
    }
    if (selected) envSelected = true;

    let mapped: Record<string, unknown>;
    let keyOf = (k: string) => k;
    if (format === 'pm2') {
      const m = mapPm2App(rest);
      const name = typeof rest.name === 'string' ? `apps[${index}] (${rest.name})` : `apps[${index}]`;
      for (const u of m.unsupported) ignore(u.key, u.needs.length ? `${name}; needs option ${u.needs.join(', ')}` : name);
      for (const u of m.unknown) ignore(u.key, `${name}; not a PM2 key${u.hint ? `: did you mean "${u.hint}"?` : ''}`);
      for (const note of m.notes) warnings.push(`${abs}: ${name}: ${note}`);
      mapped = { ...m.options, env: { ...declared, ...selected, ...m.env } };
      keyOf = (k) => m.origin[k] ?? k;
      const result = appOptionsSchema().safeParse(mapped, { reportInput: true });
      if (!result.success) {
        for (const issue of result.error.issues) {
          const [head, ...tail] = issue.path as PathSegment[];
          const remapped = { ...issue, path: head === undefined ? [] : [keyOf(String(head)), ...tail] } as typeof issue;
          appProblems.push(...describeIssue(remapped, at, () => Object.keys(m.origin)));
        }
      }
    } else {
      mapped = { ...rest, env: { ...declared, ...selected } };
      const result = fileAppSchema().safeParse(mapped, { reportInput: true });
      if (!result.success) {
        for (const issue of result.error.issues) appProblems.push(...describeIssue(issue, at, (p) => (p.length === 0 ? droverKeys() : [])));
      }
    }
    if (appProblems.length === 0) appProblems.push(...semanticProblems(mapped, at, keyOf, cores));
    problems.push(...appProblems);
    if (appProblems.length === 0) pending.push({ index, options: mapped, envFiles, envFileKey });
  });

  // Duplicate names would make two apps indistinguishable to every command.
  const seen = new Map<string, number>();
  for (const p of pending) {
    const name = typeof p.options.name === 'string' ? p.options.name : defaultAppName(String(p.options.script));
    const first = seen.get(name);
    if (first !== undefined) {
      problems.push({ path: ['apps', p.index, 'name'], text: `"${name}" is already the name of apps[${first}]: give each app its own name` });
    } else seen.set(name, p.index);
  }

  if (problems.length > 0) throw configError(abs, problems, { format });

  if (ignored.size > 0) {
    const parts = [...ignored].map(([key, where]) => `${key} (${where.join(', ')})`);
    warnings.push(`${abs}: ignored keys that drover does not support: ${parts.join('; ')}`);
  }
  if (envName !== undefined && !envSelected) warnings.push(`${abs}: --env ${envName}: no app defines env_${envName}; using env only`);

  const callerEnv = options.callerEnv ?? process.env;
  const out: AppOptions[] = [];
  for (const p of pending) {
    const app = { ...p.options };
    const cwd = path.resolve(dir, typeof app.cwd === 'string' ? app.cwd : '.');
    app.cwd = cwd;
    // PM2 resolves relative out_file/error_file against the app's cwd (drover's own
    // files put relative ones under DROVER_HOME/logs, docs/daemon.md).
    if (format === 'pm2') for (const key of ['outFile', 'errorFile'] as const) if (typeof app[key] === 'string') app[key] = path.resolve(cwd, app[key] as string);
    // An explicit env file list replaces the automatic .env; false disables it.
    const files = p.envFiles === false ? [] : p.envFiles ? p.envFiles.map((f) => path.resolve(cwd, f)) : existsSync(path.join(cwd, '.env')) ? [path.join(cwd, '.env')] : [];
    const fromFiles: Record<string, string> = {};
    for (const f of files) {
      try {
        Object.assign(fromFiles, await readEnvFile(f));
      } catch (err) {
        if (isDroverError(err)) {
          throw new DroverError('DROVER_E_CONFIG', `${formatPath(['apps', p.index, p.envFileKey])} in ${abs}: ${err.message}`, { ...err.details, config: abs });
        }
        throw err;
      }
    }
    for (const key of Object.keys(fromFiles)) if (callerEnv[key] !== undefined) delete fromFiles[key];
    app.env = { ...fromFiles, ...(app.env as Record<string, string>) };
    out.push(app as AppOptions);
  }
  return { apps: out, warnings, file: abs, format: format ?? 'drover' };
}
