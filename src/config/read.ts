// Reading a config file into a plain value: JSON and YAML with line numbers in
// their errors, JS modules imported, TypeScript through Node's type stripping
// or tsx. Every failure is a DROVER_E_CONFIG naming the file (and the line).
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import YAML from 'yaml';
import { DroverError, isDroverError } from '../errors.js';
import { CONFIG_EXTENSIONS } from './find.js';
import { toPlainData } from './plain-data.js';
import { typeStripping } from './typescript.js';

export const fail = (file: string, message: string, details: Record<string, unknown> = {}): DroverError =>
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
  if (typeStripping() !== 'none') return importStrippedInChild(file);
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

export async function readConfigValue(file: string): Promise<{ value: unknown; warnings: string[] }> {
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

