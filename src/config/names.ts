// File and app names, zod-free (the CLI needs them on every `drover start`
// and loading zod costs ~80 ms): the one test for "is this a config file" and
// the one rule for an app's default name.
import path from 'node:path';

/** Whether a `drover start <target>` argument names a config file rather than a script. */
export function isConfigFileName(file: string): boolean {
  const base = path.basename(file);
  if (/\.(json|ya?ml)$/i.test(base)) return true;
  return /^(drover\.config|ecosystem(\.config)?)\.[cm]?[jt]s$/i.test(base) || /\.config\.[cm]?[jt]s$/.test(base);
}

/**
 * The name of an app without one: its script's file name without a JS/TS
 * extension, made usable as an app name (`my server.js` → `my-server`): runs
 * of other characters become "-", at most 64 characters.
 */
export function defaultAppName(script: string): string {
  const base = path.basename(script).replace(/\.[cm]?[jt]sx?$/, '');
  const safe = base.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 64);
  return safe === '' ? 'app' : safe;
}
