// PM2 ecosystem files, accepted as they are: each PM2 app key is mapped to
// drover options by the table below. Whether a mapping is usable is decided at
// run time against the option schema's shape, so a PM2 key whose drover option
// does not exist yet is reported (never silently dropped) and starts working
// as soon as the option is added to src/config/schema.ts.
import { LOG_OPTION_NAMES } from './log-options.js';
import { superviseOptionsSchema } from './schema.js';
import { didYouMean } from './suggest.js';

type Options = Record<string, unknown>;

export interface Pm2Rule {
  /** The PM2 key, as in PM2's lib/API/schema.json. */
  readonly key: string;
  readonly aliases?: readonly string[];
  /** The drover option(s) it becomes, for documentation and error messages. */
  readonly target: string;
  /**
   * Returns the drover options to set. `{}` means the key has no effect in
   * drover because drover already behaves that way. Values that cannot be
   * converted are passed through unchanged so that schema validation reports
   * them with the PM2 key's path.
   */
  readonly convert: (value: unknown, app: Readonly<Options>) => Options;
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** PM2's time format: a number of ms, or "<n>ms|s|m|h". Unparseable input is returned as is. */
export function parsePm2Duration(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(value);
  return m ? Math.round(Number(m[1]) * DURATION_UNITS[m[2] ?? 'ms']!) : value;
}

/** PM2 passes string args through a shell-like split: quotes group words. */
export function splitArgs(value: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | undefined;
  let has = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < value.length) cur += value[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      has = true;
    } else if (/\s/.test(c)) {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else if (c === '\\' && i + 1 < value.length) {
      cur += value[++i];
      has = true;
    } else {
      cur += c;
      has = true;
    }
  }
  if (has || cur) out.push(cur);
  return out;
}

const toStringList = (value: unknown): unknown => {
  if (typeof value === 'string') return splitArgs(value);
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'number' || typeof v === 'boolean' ? String(v) : v));
  return value;
};

const numeric = (value: unknown): unknown => (typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value);

/** A watch path (PM2 watches paths) as globs relative to cwd: the path itself and everything below it. */
function watchGlobs(value: unknown): unknown {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || !list.every((p) => typeof p === 'string')) return value;
  return (list as string[]).flatMap((p) => {
    const rel = p.replace(/^\.\/+/, '').replace(/\/+$/, '');
    if (rel === '' || rel === '.') return ['**'];
    return /[*?[\]{}!]/.test(rel) ? [rel] : [rel, `${rel}/**`];
  });
}

const same =
  (target: string, conv: (v: unknown) => unknown = (v) => v) =>
  (value: unknown): Options => ({ [target]: conv(value) });

/**
 * PM2 key → drover option. env, env_<name> and env_file are handled by the
 * loader (they merge into `env`); restart_delay and exp_backoff_restart_delay
 * are resolved together in mapPm2App.
 */
export const PM2_RULES: readonly Pm2Rule[] = [
  { key: 'name', target: 'name', convert: same('name') },
  { key: 'script', target: 'script', convert: same('script') },
  { key: 'args', target: 'args', convert: same('args', toStringList) },
  { key: 'cwd', target: 'cwd', convert: same('cwd') },
  {
    key: 'instances',
    target: 'instances',
    // PM2: 0 and "max" = one per core, -n = cores minus n, numeric strings allowed.
    convert: (v) => {
      const n = numeric(v);
      return { instances: n === 0 || v === 'max' ? 'max' : n };
    },
  },
  {
    key: 'exec_mode',
    target: 'execMode',
    // PM2 also accepts fork_mode / cluster_mode; anything else reaches the schema, which names exec_mode.
    convert: (v) => ({ execMode: typeof v === 'string' && /^(fork|cluster)(_mode)?$/.test(v) ? v.replace(/_mode$/, '') : v }),
  },
  {
    key: 'interpreter',
    aliases: ['exec_interpreter'],
    target: 'interpreter',
    // A path to a node binary means "run with node": drover runs Node apps with its own node.
    convert: (v) => (typeof v === 'string' && /(^|[/\\])node(\.exe)?$/.test(v) ? { interpreter: 'node' } : { interpreter: v }),
  },
  { key: 'node_args', aliases: ['interpreter_args', 'interpreterArgs'], target: 'nodeArgs', convert: same('nodeArgs', toStringList) },
  { key: 'max_memory_restart', target: 'maxMemory', convert: same('maxMemory', numeric) },
  { key: 'max_restarts', target: 'maxRestarts', convert: same('maxRestarts', numeric) },
  { key: 'min_uptime', target: 'minUptimeMs', convert: same('minUptimeMs', parsePm2Duration) },
  { key: 'restart_delay', target: 'restartDelayMs = maxRestartDelayMs (a fixed delay, as PM2)', convert: () => ({}) },
  { key: 'exp_backoff_restart_delay', target: 'restartDelayMs (first backoff step; cap maxRestartDelayMs >= 15 s)', convert: () => ({}) },
  { key: 'kill_timeout', target: 'killTimeoutMs', convert: same('killTimeoutMs', parsePm2Duration) },
  { key: 'listen_timeout', target: 'readyTimeoutMs', convert: same('readyTimeoutMs', parsePm2Duration) },
  { key: 'wait_ready', target: 'waitReady', convert: same('waitReady') },
  { key: 'watch', target: 'watch (true, or globs: each path p → p, p/**)', convert: (v) => ({ watch: typeof v === 'boolean' ? v : watchGlobs(v) }) },
  { key: 'ignore_watch', target: 'watchIgnore', convert: (v) => ({ watchIgnore: typeof v === 'string' ? [v] : v }) },
  { key: 'watch_delay', target: 'watchDebounceMs', convert: same('watchDebounceMs', parsePm2Duration) },
  { key: 'cron_restart', aliases: ['cron'], target: 'cronRestart', convert: same('cronRestart') },
  { key: 'out_file', aliases: ['out', 'output', 'out_log'], target: 'outFile', convert: same('outFile') },
  { key: 'error_file', aliases: ['error', 'err', 'err_file', 'err_log'], target: 'errorFile', convert: same('errorFile') },
  { key: 'log_file', aliases: ['log'], target: 'logFile', convert: same('logFile') },
  // drover writes one file per app with a worker prefix on every line: that is PM2's merge_logs.
  { key: 'merge_logs', aliases: ['combine_logs'], target: 'mergeLogs (true is what drover does)', convert: (v) => (v === true ? {} : { mergeLogs: v }) },
  { key: 'log_date_format', target: 'logDateFormat', convert: same('logDateFormat') },
  { key: 'log_type', target: 'logJson', convert: (v) => (v === 'json' ? { logJson: true } : {}) },
  // drover always timestamps log lines.
  { key: 'time', target: '(none: lines are always timestamped)', convert: () => ({}) },
  { key: 'disable_logs', target: 'disableLogs', convert: (v) => (v === false ? {} : { disableLogs: v }) },
  { key: 'stop_exit_codes', target: 'stopExitCodes', convert: (v) => ({ stopExitCodes: typeof v === 'number' ? [v] : Array.isArray(v) ? v.map(numeric) : v }) },
  {
    key: 'autorestart',
    target: "restart ('never' when false)",
    convert: (v) => (v === false ? { restart: 'never' } : v === true ? {} : { restart: v }),
  },
  { key: 'port', target: 'env.PORT', convert: () => ({}) },
  // drover stops the worker's whole process group.
  { key: 'treekill', target: '(none when true: drover signals the process group)', convert: (v) => (v === true ? {} : { treekill: v }) },
  {
    key: 'instance_var',
    target: '(none for NODE_APP_INSTANCE, which drover sets)',
    convert: (v) => (v === 'NODE_APP_INSTANCE' ? {} : { instanceVar: v }),
  },
  { key: 'filter_env', target: 'filterEnv', convert: same('filterEnv') },
  { key: 'shutdown_with_message', target: 'shutdownWithMessage', convert: same('shutdownWithMessage') },
  { key: 'kill_retry_time', target: 'killRetryMs', convert: same('killRetryMs') },
  { key: 'pid_file', aliases: ['pid'], target: 'pidFile', convert: same('pidFile') },
  { key: 'uid', aliases: ['user'], target: 'uid', convert: same('uid') },
  { key: 'gid', target: 'gid', convert: same('gid') },
  { key: 'autostart', target: 'autostart', convert: (v) => (v === true ? {} : { autostart: v }) },
];

/** Every app key PM2 7 knows (lib/API/schema.json), for detection and typo hints. */
export const PM2_KEYS: readonly string[] = [
  ...PM2_RULES.flatMap((r) => [r.key, ...(r.aliases ?? [])]),
  'env',
  'env_file',
  'name_prefix',
  'namespace',
  'install_url',
  'source_map_support',
  'disable_source_map_support',
  'vizion',
  'execute_command',
  'force',
  'append_env_to_name',
  'post_update',
  'trace',
  'disable_trace',
  'v8',
  'event_loop_inspector',
  'deep_monitoring',
  'increment_var',
  'pmx',
  'automation',
  'username',
  'windowsHide',
  'write',
  'io',
  'watch_options',
];

const RULES_BY_KEY = new Map<string, Pm2Rule>(PM2_RULES.flatMap((r) => [[r.key, r] as const, ...(r.aliases ?? []).map((a) => [a, r] as const)]));

const DROVER_KEYS = (): Set<string> => new Set([...Object.keys(superviseOptionsSchema.shape), ...LOG_OPTION_NAMES]);

/** Keys that only PM2 files use (snake_case PM2 keys and PM2 aliases that are not drover options). */
function isPm2OnlyKey(key: string, drover: Set<string>): boolean {
  if (drover.has(key)) return false;
  if (key === 'env_file' || /^env_/.test(key)) return false; // drover files accept env_<name> too
  return PM2_KEYS.includes(key);
}

/**
 * Decides by content: PM2 when some app uses a PM2-only key and no app uses a
 * drover-only key. A mix is treated as a drover file so that validation points
 * at the PM2 spellings ("did you mean nodeArgs?"). A file named as PM2's
 * (ecosystem.config.js…) is PM2 whatever it holds, and accepts drover's keys.
 */
export function looksLikePm2(apps: readonly unknown[]): boolean {
  const drover = DROVER_KEYS();
  let pm2 = false;
  for (const app of apps) {
    if (!app || typeof app !== 'object' || Array.isArray(app)) continue;
    for (const key of Object.keys(app)) {
      if (isPm2OnlyKey(key, drover)) pm2 = true;
      else if (drover.has(key) && !PM2_KEYS.includes(key)) return false;
    }
  }
  return pm2;
}

export interface Pm2Mapped {
  /** drover options, except env (merged by the loader). */
  readonly options: Options;
  /** drover option → PM2 key it came from, so validation errors name the key the user wrote. */
  readonly origin: Readonly<Record<string, string>>;
  /** PM2 keys whose drover option does not exist (yet): key → the options it needs. */
  readonly unsupported: ReadonlyArray<{ key: string; needs: string[] }>;
  /** Keys PM2 does not know either (typos), with a suggestion. */
  readonly unknown: ReadonlyArray<{ key: string; hint?: string }>;
  readonly notes: readonly string[];
  /** env additions implied by PM2 keys (port → PORT). */
  readonly env: Readonly<Record<string, string>>;
}

/**
 * Maps one PM2 app (env, env_<name> and env_file excluded: the caller strips
 * them first). Pure apart from reading the schema's shape.
 */
export function mapPm2App(app: Readonly<Options>): Pm2Mapped {
  const drover = DROVER_KEYS();
  const options: Options = {};
  const origin: Record<string, string> = {};
  const unsupported: Array<{ key: string; needs: string[] }> = [];
  const unknown: Array<{ key: string; hint?: string }> = [];
  const notes: string[] = [];
  const env: Record<string, string> = {};

  for (const [key, value] of Object.entries(app)) {
    if (value === undefined) continue;
    const rule = RULES_BY_KEY.get(key);
    if (!rule && drover.has(key)) {
      // drover's own options (readyOn, execMode, killTimeoutMs…) are accepted in PM2 files as they are.
      options[key] = value;
      origin[key] = key;
      continue;
    }
    if (!rule) {
      if (PM2_KEYS.includes(key)) unsupported.push({ key, needs: [] });
      else {
        const hint = didYouMean(key, PM2_KEYS);
        unknown.push(hint ? { key, hint } : { key });
      }
      continue;
    }
    const set = rule.convert(value, app);
    const needs = Object.keys(set).filter((k) => !drover.has(k));
    if (needs.length > 0) {
      unsupported.push({ key, needs });
      continue;
    }
    for (const [k, v] of Object.entries(set)) {
      options[k] = v;
      origin[k] = key;
    }
  }

  if (app.port !== undefined) env.PORT = String(app.port);

  const restartDelay = parsePm2Duration(app.restart_delay);
  const backoff = parsePm2Duration(app.exp_backoff_restart_delay);
  if (backoff !== undefined) {
    options.restartDelayMs = backoff;
    origin.restartDelayMs = 'exp_backoff_restart_delay';
    // PM2 caps its backoff at 15 s, drover's default cap.
    if (typeof backoff === 'number' && backoff > 15_000) {
      options.maxRestartDelayMs = backoff;
      origin.maxRestartDelayMs = 'exp_backoff_restart_delay';
    }
    if (restartDelay !== undefined) notes.push('restart_delay is ignored because exp_backoff_restart_delay is set (as in PM2)');
  } else if (restartDelay !== undefined) {
    // PM2's restart_delay is a fixed delay: no backoff growth.
    options.restartDelayMs = restartDelay;
    options.maxRestartDelayMs = restartDelay;
    origin.restartDelayMs = 'restart_delay';
    origin.maxRestartDelayMs = 'restart_delay';
  }

  // PM2 takes a worker that is not ready after listen_timeout (default 3 s) as ready; drover fails it unless told otherwise.
  if ((app.wait_ready === true || app.listen_timeout !== undefined) && options.readyTimeoutAction === undefined) {
    options.readyTimeoutAction = 'ready';
    origin.readyTimeoutAction = app.listen_timeout !== undefined ? 'listen_timeout' : 'wait_ready';
    notes.push(
      `${app.listen_timeout !== undefined ? 'listen_timeout' : 'wait_ready'}: as in PM2, a worker not ready in time is taken as ready (a warning is logged); add readyTimeoutAction: 'fail' to stop it instead`,
    );
  }
  if (typeof app.interpreter === 'string' && options.interpreter === 'node' && app.interpreter !== 'node') {
    notes.push(`interpreter ${app.interpreter}: drover runs Node apps with its own node (${process.execPath})`);
  }
  return { options, origin, unsupported, unknown, notes, env };
}
