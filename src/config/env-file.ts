// dotenv-format files (`.env`, `env_file`). Parsed here rather than with a
// dependency: the format is small, and an invalid line is reported with its
// line number instead of being skipped silently as dotenv does.
//
// Supported: KEY=VALUE, spaces around `=`, `export KEY=VALUE`, `#` comments
// (whole line, or after whitespace in an unquoted value), 'single' and
// `backtick` quotes (literal), "double" quotes with escapes \n \r \t \\ \" \$,
// quoted values spanning lines. No ${VAR} expansion (as plain dotenv).
import { readFile } from 'node:fs/promises';
import { DroverError } from '../errors.js';

const KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

export class EnvFileSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
    this.name = 'EnvFileSyntaxError';
  }
}

const DOUBLE_ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\', '"': '"', $: '$' };

/** Parses dotenv text; throws EnvFileSyntaxError with a 1-based line number. */
export function parseEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const src = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  let i = 0;
  let line = 1;
  const n = src.length;

  const fail = (msg: string, at = line): never => {
    throw new EnvFileSyntaxError(msg, at);
  };

  while (i < n) {
    // Start of a logical line: skip blanks.
    while (i < n && (src[i] === ' ' || src[i] === '\t')) i++;
    if (i >= n) break;
    if (src[i] === '\n') {
      i++;
      line++;
      continue;
    }
    if (src[i] === '#') {
      while (i < n && src[i] !== '\n') i++;
      continue;
    }
    const startLine = line;
    let eol = src.indexOf('\n', i);
    if (eol === -1) eol = n;
    const eq = src.indexOf('=', i);
    if (eq === -1 || eq > eol) fail(`expected KEY=VALUE, got ${JSON.stringify(src.slice(i, eol).trim())}`);
    let key = src.slice(i, eq).trim();
    if (key.startsWith('export ') || key.startsWith('export\t')) key = key.slice(7).trim();
    if (!KEY.test(key)) fail(`invalid variable name ${JSON.stringify(key)}: use letters, digits and _ (not starting with a digit)`);
    i = eq + 1;
    while (i < n && (src[i] === ' ' || src[i] === '\t')) i++;
    const quote = src[i];
    let value: string;
    if (quote === '"' || quote === "'" || quote === '`') {
      i++;
      let v = '';
      for (;;) {
        if (i >= n) fail(`unterminated ${quote} quote for ${key}`, startLine);
        const c = src[i]!;
        if (c === quote) {
          i++;
          break;
        }
        if (c === '\n') line++;
        if (c === '\\' && quote === '"' && i + 1 < n) {
          const next = src[i + 1]!;
          const mapped = DOUBLE_ESCAPES[next];
          if (mapped !== undefined) {
            v += mapped;
            i += 2;
            continue;
          }
        }
        v += c;
        i++;
      }
      // Only whitespace or a comment may follow the closing quote.
      let rest = src.indexOf('\n', i);
      if (rest === -1) rest = n;
      const trailing = src.slice(i, rest).trim();
      if (trailing !== '' && !trailing.startsWith('#')) fail(`unexpected ${JSON.stringify(trailing)} after the quoted value of ${key}`);
      i = rest;
      value = v;
    } else {
      let raw = src.slice(i, eol);
      const hash = raw.search(/\s#/);
      if (hash !== -1) raw = raw.slice(0, hash);
      value = raw.trim();
      i = eol;
    }
    out[key] = value;
  }
  return out;
}

/** Reads and parses one env file; errors are DROVER_E_CONFIG naming the file and line. */
export async function readEnvFile(file: string): Promise<Record<string, string>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DroverError(
      'DROVER_E_CONFIG',
      code === 'ENOENT' ? `env file ${file} does not exist: create it or remove it from env_file` : `cannot read env file ${file}: ${(err as Error).message}`,
      { file },
    );
  }
  try {
    return parseEnv(text);
  } catch (err) {
    if (err instanceof EnvFileSyntaxError) {
      throw new DroverError('DROVER_E_CONFIG', `${file}:${err.line}: ${err.message}`, { file, line: err.line });
    }
    throw err;
  }
}
