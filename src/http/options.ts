// The HTTP endpoint's settings from an app's options (drover run) and the
// environment, checked before anything starts.
import type { ParsedOptions } from '../config/schema.js';
import { droverPaths } from '../control/paths.js';
import { DroverError } from '../errors.js';
import { isLoopback } from './auth.js';
import { chooseToken, type TokenChoice } from './token.js';

export interface HttpSettings {
  readonly host: string;
  readonly port: number;
  readonly token: TokenChoice;
  readonly healthPublic: boolean;
}

/**
 * A server reachable from the network must have a token someone chose on
 * purpose (flag or env), never one read silently from a file: refused at start.
 */
export function httpSettings(
  o: { readonly host: string; readonly port: number; readonly token: string | undefined; readonly healthPublic: boolean },
  env: Readonly<Record<string, string | undefined>> = process.env,
): HttpSettings {
  const token = chooseToken(o.token, env, droverPaths(env).home);
  if (!isLoopback(o.host) && token.source !== 'explicit') {
    throw new DroverError(
      'DROVER_E_HTTP_UNSAFE_BIND',
      `refusing to serve metrics on ${o.host}, beyond loopback, without an explicit token: pass --metrics-token <secret> (or set DROVER_HTTP_TOKEN), or keep --metrics-host 127.0.0.1`,
      { host: o.host },
    );
  }
  return { host: o.host, port: o.port, token, healthPublic: o.healthPublic };
}

export function appHttpSettings(o: ParsedOptions, env: Readonly<Record<string, string | undefined>> = process.env): HttpSettings | undefined {
  if (o.metricsPort === undefined) return undefined;
  return httpSettings({ host: o.metricsHost, port: o.metricsPort, token: o.metricsToken, healthPublic: o.healthPublic }, env);
}
