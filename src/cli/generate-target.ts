// The app a generator writes for (platform/generate/target.ts), from either
//   a script and `drover run` flags:  drover generate systemd app.js -i 4 --name api
//   one app of a config file:          drover generate systemd drover.config.js [--app api]
// (run flags given with a config file override the app's options). The
// options are validated as `drover run` would (the script must exist), and
// turned back into `drover run` flags for the generated command line.
import path from 'node:path';
import { resolveSpec } from '../config/resolve.js';
import type { SuperviseOptions } from '../config/schema.js';
import { DroverError } from '../errors.js';
import type { GenTarget } from '../platform/generate/target.js';
import { OPTION_TABLE, type FlagSpec } from './option-table.js';

/** Options that are not written as flags: the positional script, args (after --), env (written per format), cwd (the unit's or image's working directory). */
const NOT_FLAGS = new Set(['args', 'env', 'cwd']);

/** `drover run` flags for these options, `--flag=value` so a value starting with `-` stays a value. */
export function runFlags(options: Readonly<Record<string, unknown>>): string[] {
  const out: string[] = [];
  for (const [key, spec] of Object.entries(OPTION_TABLE) as Array<[string, FlagSpec]>) {
    const value = options[key];
    if (NOT_FLAGS.has(key) || value === undefined || value === false) continue;
    const flag = /--[a-z0-9-]+/.exec(spec.flags)![0];
    if (value === true) out.push(flag);
    // Words flags (--node-args) split on spaces: one flag per word keeps each word whole.
    else if (Array.isArray(value) && key === 'nodeArgs') out.push(...value.map((v) => `${flag}=${String(v)}`));
    else if (Array.isArray(value)) out.push(`${flag}=${value.join(',')}`);
    else out.push(`${flag}=${String(value)}`);
  }
  return out;
}

export interface TargetInput {
  /** The script or config file named on the command line. */
  readonly target: string;
  /** Parsed `drover run` options given with it. */
  readonly runOptions: Readonly<Record<string, unknown>>;
  /** The app's own arguments (after --). */
  readonly appArgs: readonly string[];
  /** --app: which app of a config file. */
  readonly app?: string;
}

async function fromConfig(file: string, app: string | undefined): Promise<Record<string, unknown>> {
  const { loadConfigFile } = await import('../config/load.js');
  const { LOG_OPTION_TABLE } = await import('./option-table.js');
  const loaded = await loadConfigFile(file, { callerEnv: {} });
  const names = loaded.apps.map((a, i) => a.name ?? `apps[${i}] (${path.basename(a.script)})`);
  const chosen = app === undefined ? (loaded.apps.length === 1 ? loaded.apps[0] : undefined) : loaded.apps.find((a) => a.name === app);
  if (!chosen) {
    const why = app === undefined ? `has ${loaded.apps.length} apps` : `has no app named ${JSON.stringify(app)}`;
    throw new DroverError('DROVER_E_GENERATE_APP', `${loaded.file} ${why}: pass --app with one of ${names.map((n) => JSON.stringify(n)).join(', ')}`, { apps: names });
  }
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(chosen)) if (!Object.hasOwn(LOG_OPTION_TABLE, key)) options[key] = value;
  return options;
}

export async function generateTarget(input: TargetInput): Promise<{ target: GenTarget; options: SuperviseOptions }> {
  const { isConfigFileName } = await import('../config/names.js');
  const base = isConfigFileName(input.target) ? await fromConfig(path.resolve(input.target), input.app) : { script: input.target };
  const options = {
    ...base,
    ...input.runOptions,
    env: { ...((base.env as Record<string, string> | undefined) ?? {}), ...((input.runOptions.env as Record<string, string> | undefined) ?? {}) },
    args: [...((base.args as string[] | undefined) ?? []), ...((input.runOptions.args as string[] | undefined) ?? []), ...input.appArgs],
  } as SuperviseOptions;
  const spec = resolveSpec(options, 'command line');
  const port = Number(spec.env.PORT);
  return {
    options,
    target: {
      name: spec.name,
      script: spec.script,
      cwd: spec.cwd,
      runArgs: runFlags({ ...options, script: undefined }),
      appArgs: spec.args,
      env: spec.env,
      instances: options.instances ?? 1,
      workers: spec.instances,
      killTimeoutMs: spec.killTimeoutMs,
      port: Number.isInteger(port) && port > 0 ? port : undefined,
    },
  };
}

/** The script's path inside an image whose WORKDIR holds the app's directory (POSIX separators). */
export function scriptInImage(target: GenTarget): string {
  const rel = path.relative(target.cwd, target.script);
  if (rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new DroverError('DROVER_E_INVALID_OPTION', `the script ${target.script} is outside the app directory ${target.cwd}: run the command from the project directory (or pass --cwd)`);
  }
  return rel.split(path.sep).join('/');
}
