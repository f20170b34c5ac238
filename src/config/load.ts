// Config files: drover.config.{ts,mts,cts,js,mjs,cjs,json,yaml,yml} and PM2
// ecosystem files, read, mapped and validated before anything starts. Every
// problem is a DROVER_E_CONFIG (exit 78) naming the file and the key path.
//
// Relative paths (cwd, env_file) are resolved against the config file's
// directory, so `drover start /srv/app/drover.config.js` behaves the same
// from any directory.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import YAML from 'yaml';
import { toPlainData } from './plain-data.js';
import { DroverError, isDroverError } from '../errors.js';
import { validateCron } from './cron.js';
import { readEnvFile } from './env-file.js';
import { appOptionsSchema, configError, describeIssue, fileAppSchema, formatPath, type IssueText, type PathSegment } from './file-schema.js';
import { looksLikePm2, mapPm2App } from './pm2.js';
import { parseSize, resolveInstances } from './resolve.js';
import type { AppOptions } from './log-options.js';
import { superviseOptionsSchema, type SuperviseOptions } from './schema.js';
import { didYouMean } from './suggest.js';

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

export const CONFIG_EXTENSIONS = ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs', '.json', '.yaml', '.yml'] as const;

/** Looked up in this order by findConfigFile(). */
export const CONFIG_FILE_NAMES: readonly string[] = [
  ...CONFIG_EXTENSIONS.map((ext) => `drover.config${ext}`),
  'ecosystem.config.js',
  'ecosystem.config.cjs',
  'ecosystem.config.mjs',
  'ecosystem.config.json',
  'ecosystem.json',
  'ecosystem.config.yaml',
  'ecosystem.config.yml',
];

/** The config file in dir, if any. */
export function findConfigFile(dir: string): string | undefined {
  for (const name of CONFIG_FILE_NAMES) {
    const file = path.join(dir, name);
    if (existsSync(file)) return file;
  }
  return undefined;
}

/** Whether a `drover start <target>` argument names a config file rather than a script. */
export function isConfigFileName(file: string): boolean {
  const base = path.basename(file);
  if (/\.(json|ya?ml)$/i.test(base)) return true;
  return /^(drover\.config|ecosystem(\.config)?)\.[cm]?[jt]s$/i.test(base) || /\.config\.[cm]?[jt]s$/.test(base);
}

function isEcosystemName(file: string): boolean {
  return /^(ecosystem|pm2|process)([.-].*)?\.(c?js|mjs|json|ya?ml)$/i.test(path.basename(file));
}

const fail = (file: string, message: string, details: Record<string, unknown> = {}): DroverError =>
  new DroverError('DROVER_E_CONFIG', message, { file, ...details });

// ---------------------------------------------------------------------------
// Reading the file into a plain value

function lineColFromOffset(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

async function readJson(file: string, text: string): Promise<unknown> {
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    const message = (err as Error).message;
    let where = '';
    const lc = /line (\d+) column (\d+)/.exec(message);
    const pos = /position (\d+)/.exec(message);
    if (lc) where = `:${lc[1]}:${lc[2]}`;
    else if (pos) {
      const { line, column } = lineColFromOffset(text, Number(pos[1]));
      where = `:${line}:${column}`;
    }
    throw fail(file, `syntax error in ${file}${where}: ${message.replace(/ in JSON at position \d+.*$/, '')}`, { line: lc ? Number(lc[1]) : undefined });
  }
}

function readYaml(file: string, text: string): { value: unknown; warnings: string[] } {
  const doc = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0];
    const where = pos ? `:${pos.line}:${pos.col}` : '';
    throw fail(file, `syntax error in ${file}${where}: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`, { line: pos?.line });
  }
  const warnings = doc.warnings.map((w) => {
    const pos = w.linePos?.[0];
    return `${file}${pos ? `:${pos.line}` : ''}: ${w.message.split('\n')[0]}`;
  });
  // hook (issue 15): an alias bomb ("Excessive alias count") is a config error, not a crash.
  try {
    return { value: doc.toJS({ maxAliasCount: 100 }), warnings };
  } catch (err) {
    throw fail(file, `${file}: ${(err as Error).message.split('\n')[0]}: expand the aliases (at most 100 alias uses)`);
  }
}

/** `file:line` from an error's stack or message, when it points into the file. */
function lineFromError(err: unknown, file: string): number | undefined {
  const text = `${(err as Error)?.message ?? ''}\n${(err as Error)?.stack ?? ''}`;
  for (const form of [pathToFileURL(file).href, file]) {
    const escaped = form.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const m = new RegExp(`${escaped}(?:\\?[^:\\s]*)?:(\\d+)`).exec(text);
    if (m) return Number(m[1]);
  }
  return undefined;
}

const run = (cmd: string, args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    execFile(cmd, args, { cwd, maxBuffer: 16 * 1024 * 1024, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });

/** Node does not expose where an ES module's syntax error is; `node --check` prints it. */
async function syntaxErrorLine(file: string, nodeArgs: string[] = []): Promise<number | undefined> {
  const { stderr } = await run(process.execPath, [...nodeArgs, '--check', file], path.dirname(file));
  return lineFromError({ message: stderr }, file);
}

function loadFailure(file: string, err: unknown, line: number | undefined): DroverError {
  if (isDroverError(err)) return err;
  const e = err as Error & { code?: string };
  const where = line ? `${file}:${line}` : file;
  let hint = '';
  if (/Cannot use import statement outside a module|Unexpected token 'export'/.test(e.message ?? '')) {
    hint = ': the file uses ES module syntax in a CommonJS scope; rename it to .mjs or set "type": "module" in package.json';
  } else if (/require is not defined in ES module scope|module is not defined in ES module scope/.test(e.message ?? '')) {
    hint = ': the file uses CommonJS (require/module.exports) in an ES module scope; rename it to .cjs';
  }
  if (e?.name === 'SyntaxError') return fail(file, `syntax error in ${where}: ${e.message}${hint}`, { line });
  return fail(file, `cannot load ${where}: ${e?.message ?? String(err)}${hint}`, { line });
}

/** The config object a module exports: default, or a namespace with `apps`; functions are called. */
async function exportedConfig(mod: Record<string, unknown>): Promise<unknown> {
  let value: unknown = 'default' in mod && mod.default !== undefined ? mod.default : mod;
  if (value === mod && 'apps' in mod) value = { apps: mod.apps };
  if (typeof value === 'function') value = await (value as () => unknown)();
  return value;
}

const requireHere = createRequire(import.meta.url);

async function importModule(file: string, version: string): Promise<unknown> {
  // A daemon may load the same file again after it changed: drop the CommonJS
  // cache entry and give the ES module URL a version so the new content is read.
  delete requireHere.cache[file];
  const url = `${pathToFileURL(file).href}?v=${version}`;
  try {
    return await exportedConfig((await import(url)) as Record<string, unknown>);
  } catch (err) {
    let line = lineFromError(err, file);
    if (line === undefined && (err as Error)?.name === 'SyntaxError') line = await syntaxErrorLine(file);
    throw loadFailure(file, err, line);
  }
}

function typeStrippingEnabled(): boolean {
  if ((process.features as { typescript?: unknown }).typescript) return true;
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  return flags.some((f) => f === '--experimental-strip-types' || f === '--experimental-transform-types');
}

function typeStrippingAvailable(): boolean {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 6);
}

/** tsx's ESM API, from the config's project first, then from drover's own dependencies. */
function resolveTsx(file: string): string | undefined {
  for (const from of [file, fileURLToPath(import.meta.url)]) {
    try {
      return createRequire(from).resolve('tsx/esm/api');
    } catch {
      // not installed there
    }
  }
  return undefined;
}

async function importTypeScript(file: string, version: string): Promise<unknown> {
  if (typeStrippingEnabled()) return importModule(file, version);
  const tsx = resolveTsx(file);
  if (tsx) {
    let api: { tsImport?: unknown; default?: { tsImport?: unknown } };
    try {
      api = (await import(pathToFileURL(tsx).href)) as typeof api;
    } catch (err) {
      throw fail(file, `cannot load ${file}: tsx (${tsx}) failed to load: ${(err as Error).message}`);
    }
    const tsImport = (api.tsImport ?? api.default?.tsImport) as ((specifier: string, parent: string) => Promise<Record<string, unknown>>) | undefined;
    if (typeof tsImport !== 'function') throw fail(file, `cannot load ${file}: ${tsx} has no tsImport(): upgrade tsx to 4.x`);
    try {
      return await exportedConfig(await tsImport(`${pathToFileURL(file).href}?v=${version}`, import.meta.url));
    } catch (err) {
      throw loadFailure(file, err, lineFromError(err, file));
    }
  }
  if (typeStrippingAvailable()) return importStrippedInChild(file);
  throw fail(
    file,
    `cannot load ${file}: TypeScript config files need tsx in the project (npm install -D tsx) or Node >= 22.6 with type stripping (this is Node ${process.versions.node}); or write the config as drover.config.mjs`,
  );
}

/**
 * Node 22.6 to 23.5 strip types only behind a flag this process was not
 * started with: evaluate the config in a child with the flag and take its
 * JSON (a config is data; functions in it are not carried over).
 */
async function importStrippedInChild(file: string): Promise<unknown> {
  const flags = ['--experimental-strip-types', '--no-warnings'];
  const script =
    'const m = await import(process.argv[1]); let v = m.default !== undefined ? m.default : ("apps" in m ? { apps: m.apps } : m);' +
    'if (typeof v === "function") v = await v(); process.stdout.write(JSON.stringify(v ?? null));';
  const { code, stdout, stderr } = await run(process.execPath, [...flags, '--input-type=module', '-e', script, pathToFileURL(file).href], path.dirname(file));
  if (code !== 0) {
    const message = stderr.split('\n').find((l) => /^\w*Error\b/.test(l)) ?? stderr.trim().split('\n').pop() ?? 'failed';
    let line = lineFromError({ message: stderr }, file);
    if (line === undefined && /SyntaxError/.test(message)) line = await syntaxErrorLine(file, flags);
    const err = new Error(message.replace(/^\w*Error(?: \[\w+\])?: /, ''));
    if (/^SyntaxError/.test(message)) err.name = 'SyntaxError';
    throw loadFailure(file, err, line);
  }
  return JSON.parse(stdout) as unknown;
}

async function readConfigValue(file: string): Promise<{ value: unknown; warnings: string[] }> {
  let info;
  try {
    info = await stat(file);
  } catch {
    throw fail(file, `config file ${file} does not exist: check the path`);
  }
  if (info.isDirectory()) throw fail(file, `${file} is a directory: name the config file, e.g. ${path.join(file, 'drover.config.js')}`);
  const ext = path.extname(file).toLowerCase();
  const version = `${Math.trunc(info.mtimeMs)}-${info.size}`;
  switch (ext) {
    case '.json':
      return { value: await readJson(file, await readFile(file, 'utf8')), warnings: [] };
    case '.yaml':
    case '.yml':
      return readYaml(file, await readFile(file, 'utf8'));
    case '.js':
    case '.mjs':
    case '.cjs':
      // hook (issue 15): getters/proxies that throw become config errors here, not later.
      return { value: toPlainData(file, await importModule(file, version)), warnings: [] };
    case '.ts':
    case '.mts':
    case '.cts':
      return { value: toPlainData(file, await importTypeScript(file, version)), warnings: [] };
    default:
      throw fail(file, `${file}: unsupported config file type ${ext || '(no extension)'}: use one of ${CONFIG_EXTENSIONS.join(', ')}`);
  }
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

const defaultName = (script: string): string => path.basename(script).replace(/\.[cm]?[jt]sx?$/, '');

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
  const cores = options.cores ?? availableParallelism();
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
    const name = typeof p.options.name === 'string' ? p.options.name : defaultName(String(p.options.script));
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
