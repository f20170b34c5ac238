// The HTTP token: every endpoint (metrics, health, dashboard) requires it.
// Given explicitly (--metrics-token, DROVER_HTTP_TOKEN), or a random one kept in
// DROVER_HOME/http-token (0600), created on first use, so `drover dashboard`
// and a scraper on the same account can read it and nobody else can.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DroverError } from '../errors.js';

export const MIN_TOKEN_LENGTH = 16;

export interface TokenChoice {
  readonly token: string;
  /** explicit: given by flag, option or env; file: read from (or created in) DROVER_HOME. */
  readonly source: 'explicit' | 'file';
  readonly file?: string;
}

export function tokenFile(home: string): string {
  return path.join(home, 'http-token');
}

export function checkToken(token: string, where: string): string {
  if (token.length < MIN_TOKEN_LENGTH || /\s/.test(token)) {
    throw new DroverError('DROVER_E_HTTP_TOKEN', `${where} must be at least ${MIN_TOKEN_LENGTH} characters without spaces: use a longer random token`);
  }
  return token;
}

/** The token in DROVER_HOME/http-token, created (0600, 32 random bytes) when missing. */
export function fileToken(home: string): TokenChoice {
  const file = tokenFile(home);
  try {
    mkdirSync(home, { recursive: true, mode: 0o700 });
    try {
      writeFileSync(file, `${randomBytes(32).toString('base64url')}\n`, { flag: 'wx', mode: 0o600 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    // A file someone else's umask or an editor left readable to others: tighten it.
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    return { token: checkToken(readFileSync(file, 'utf8').trim(), file), source: 'file', file };
  } catch (err) {
    if (err instanceof DroverError) throw err;
    const e = err as NodeJS.ErrnoException;
    throw new DroverError('DROVER_E_HTTP_TOKEN', `cannot read or create the HTTP token ${file}: ${e.code ?? e.message}: fix the permissions of DROVER_HOME`, { file });
  }
}

export function chooseToken(explicit: string | undefined, env: Readonly<Record<string, string | undefined>>, home: string): TokenChoice {
  if (explicit !== undefined) return { token: checkToken(explicit, '--metrics-token'), source: 'explicit' };
  const fromEnv = env.DROVER_HTTP_TOKEN;
  if (fromEnv) return { token: checkToken(fromEnv, 'DROVER_HTTP_TOKEN'), source: 'explicit' };
  return fileToken(home);
}
