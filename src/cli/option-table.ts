// One flag per option of supervise(), camelCase → kebab-case. The table is
// typed against the option names: adding an option to the schema without a
// flag here fails to compile.
import { DroverError } from '../errors.js';
import { AGENT_READY_ON, BALANCE_MODES, EXEC_MODES, LOG_LEVELS, READY_ON_OPTIONS, READY_TIMEOUT_ACTIONS, RESTART_POLICIES, STATE_BACKENDS, STOP_SIGNALS, TREE_TRACKING_MODES } from '../core/enums.js';
import type { LogOptionName } from '../config/log-options.js';
import { SIZE_PATTERN } from '../config/size.js';
import type { OptionName } from '../config/schema.js';

export type FlagParser = (raw: string, previous: unknown, flag: string) => unknown;

export interface FlagSpec {
  /** commander syntax, e.g. '-i, --instances <n>' */
  readonly flags: string;
  readonly description: string;
  readonly parse: FlagParser;
}

const bad = (flag: string, raw: string, expected: string): DroverError =>
  new DroverError('DROVER_E_INVALID_OPTION', `${flag} expects ${expected}, got ${JSON.stringify(raw)}`, { flag });

const int: FlagParser = (raw, _prev, flag) => {
  if (!/^-?\d+$/.test(raw.trim())) throw bad(flag, raw, 'a whole number');
  return Number(raw);
};
const text: FlagParser = (raw) => raw;
const words: FlagParser = (raw, prev) => [...((prev as string[] | undefined) ?? []), ...raw.split(/\s+/).filter(Boolean)];
const list = (item: FlagParser): FlagParser => (raw, prev, flag) => [
  ...((prev as unknown[] | undefined) ?? []),
  ...raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => item(s, undefined, flag)),
];
const oneOf =
  (values: readonly string[]): FlagParser =>
  (raw, _prev, flag) => {
    if (!values.includes(raw)) throw bad(flag, raw, `one of ${values.join(', ')}`);
    return raw;
  };
const flag: FlagParser = () => true;
const globs: FlagParser = (raw, prev) => [...(Array.isArray(prev) ? (prev as string[]) : []), ...raw.split(',').map((g) => g.trim()).filter(Boolean)];
const envPair: FlagParser = (raw, prev, flag) => {
  const eq = raw.indexOf('=');
  if (eq <= 0) throw bad(flag, raw, 'KEY=VALUE');
  return { ...((prev as Record<string, string> | undefined) ?? {}), [raw.slice(0, eq)]: raw.slice(eq + 1) };
};
const instances: FlagParser = (raw, _prev, flag) => {
  if (raw === 'max') return 'max';
  if (!/^-?\d+$/.test(raw.trim())) throw bad(flag, raw, 'a worker count: a whole number, "max" (one per core) or a negative number (cores minus n)');
  return Number(raw);
};

export const OPTION_TABLE = {
  instances: { flags: '-i, --instances <n>', description: 'workers: a number, "max" (one per core) or -n (cores minus n)', parse: instances },
  force: { flags: '--force', description: 'allow more than 4 workers per core', parse: flag },
  agent: { flags: '--agent <script>', description: 'an agent: one process per app beside the workers, for work that must run once (cron, polling)', parse: text },
  agentReadyOn: { flags: '--agent-ready-on <when>', description: 'ready (the agent calls ready()) | online (it runs); workers start once the agent is ready', parse: oneOf(AGENT_READY_ON) },
  agentReadyTimeoutMs: { flags: '--agent-ready-timeout-ms <ms>', description: 'time the agent has to become ready before the start fails', parse: int },
  name: { flags: '--name <name>', description: 'app name (default: the script name)', parse: text },
  args: { flags: '--args <args>', description: 'arguments for the script (or put them after --)', parse: words },
  cwd: { flags: '--cwd <dir>', description: 'working directory of the workers', parse: text },
  env: { flags: '--env <KEY=VALUE>', description: 'an environment variable for the workers (repeatable)', parse: envPair },
  nodeArgs: { flags: '--node-args <args>', description: 'arguments for node, e.g. "--max-old-space-size=512" (repeatable)', parse: words },
  interpreter: { flags: '--interpreter <cmd>', description: 'node (default for .js/.ts), none (run the file itself, no IPC) or a program', parse: text },
  restart: { flags: '--restart <policy>', description: RESTART_POLICIES.join(' | '), parse: oneOf(RESTART_POLICIES) },
  stopExitCodes: { flags: '--stop-exit-codes <codes>', description: 'exit codes that are never restarted, e.g. 0,3', parse: list(int) },
  maxRestarts: { flags: '--max-restarts <n>', description: 'restarts allowed within the window before giving up', parse: int },
  restartWindowMs: { flags: '--restart-window-ms <ms>', description: 'the sliding window for --max-restarts', parse: int },
  restartDelayMs: { flags: '--restart-delay-ms <ms>', description: 'first backoff delay; doubles per quick failure', parse: int },
  maxRestartDelayMs: { flags: '--max-restart-delay-ms <ms>', description: 'backoff cap', parse: int },
  minUptimeMs: { flags: '--min-uptime-ms <ms>', description: 'uptime after which a worker counts as stable (backoff resets)', parse: int },
  killTimeoutMs: { flags: '--kill-timeout-ms <ms>', description: 'time to drain after the stop signal before SIGKILL', parse: int },
  stopSignal: { flags: '--stop-signal <signal>', description: `signal that asks a worker to stop: ${STOP_SIGNALS.join(' | ')}`, parse: oneOf(STOP_SIGNALS) },
  readyOn: { flags: '--ready-on <when>', description: 'listen (first listen() call) | online (process started)', parse: oneOf(READY_ON_OPTIONS) },
  waitReady: { flags: '--wait-ready', description: 'ready only when the worker calls ready() (or process.send("ready"))', parse: flag },
  readyTimeoutMs: { flags: '--ready-timeout-ms <ms>', description: 'time a worker has to become ready', parse: int },
  readyTimeoutAction: {
    flags: '--ready-timeout-action <action>',
    description: 'fail (stop the worker) | ready (take it as ready, with a warning: PM2 listen_timeout)',
    parse: oneOf(READY_TIMEOUT_ACTIONS),
  },
  execMode: {
    flags: '--exec-mode <mode>',
    description: 'cluster (workers share ports) | fork (each process binds its own ports; ready after --min-uptime-ms: scripts, queue consumers)',
    parse: oneOf(EXEC_MODES),
  },
  reloadBatch: { flags: '--reload-batch <n>', description: 'replacements started at once during a rolling reload', parse: int },
  balance: {
    flags: '--balance <name>',
    description: 'round-robin | least-connections | least-loaded | sticky (ip-hash) | weighted | kernel | reuseport',
    parse: oneOf(BALANCE_MODES),
  },
  stickyKey: {
    flags: '--sticky-key <source:name>',
    description: 'sessions stick to a worker by cookie:<name> | header:<name> | query:<name> (socket.io: query:sid with claimStickyKey)',
    parse: text,
  },
  weights: { flags: '--weights <list>', description: 'weights per worker slot for --balance weighted, e.g. 3,1', parse: list(int) },
  spares: { flags: '--spares <n>', description: 'ready workers held back from traffic, promoted at once when a worker dies or hangs', parse: int },
  heartbeatIntervalMs: { flags: '--heartbeat-interval-ms <ms>', description: 'ping interval (0 disables the heartbeat)', parse: int },
  heartbeatTimeoutMs: { flags: '--heartbeat-timeout-ms <ms>', description: 'silence after which a worker counts as hung and is replaced', parse: int },
  maxMemory: { flags: '--max-memory <size>', description: 'RSS limit, e.g. 512M: the worker is replaced gracefully', parse: text },
  maxRequests: { flags: '--max-requests <n>', description: 'replace a worker after n requests (0: never)', parse: int },
  maxRequestsJitter: { flags: '--max-requests-jitter <n>', description: 'random extra requests per worker, so they do not recycle together', parse: int },
  watch: { flags: '--watch [globs]', description: 'rolling reload on file changes (the cwd, or comma-separated globs)', parse: globs },
  watchDebounceMs: { flags: '--watch-debounce-ms <ms>', description: 'quiet time after a change before the reload', parse: int },
  cronRestart: { flags: '--cron-restart <expr>', description: 'rolling reload on a cron schedule, e.g. "0 3 * * *"', parse: text },
  stateBackend: { flags: '--state-backend <name>', description: 'shared state store: file (default) | memory | redis', parse: oneOf(STATE_BACKENDS) },
  stateUrl: { flags: '--state-url <url>', description: 'redis://host:port[/db] for --state-backend redis', parse: text },
  stateDir: { flags: '--state-dir <dir>', description: 'directory of the state log (default DROVER_HOME/apps/<name>/state)', parse: text },
  stateNamespace: { flags: '--state-namespace <ns>', description: 'redis key prefix (default: the app name); masters with one namespace share a store', parse: text },
  logLevel: { flags: '--log-level <level>', description: LOG_LEVELS.join(' | '), parse: oneOf(LOG_LEVELS) },
  ipcMaxMessageBytes: { flags: '--ipc-max-message-bytes <n>', description: 'longest process.send a worker or the agent may send the master, in characters of JSON (default 4194304)', parse: int },
  treeTracking: {
    flags: '--tree-tracking <mode>',
    description: 'how a stop finds all of the app\'s processes: auto (a cgroup where drover may create one, else the env mark) | cgroup | env | off',
    parse: oneOf(TREE_TRACKING_MODES),
  },
  metricsPort: { flags: '--metrics-port <port>', description: 'serve /metrics, /livez, /readyz on this port (0: a free one)', parse: int },
  metricsHost: { flags: '--metrics-host <host>', description: 'address of the metrics endpoint (default 127.0.0.1; others need --metrics-token)', parse: text },
  metricsToken: { flags: '--metrics-token <token>', description: 'token the endpoint requires (default DROVER_HTTP_TOKEN, else DROVER_HOME/http-token)', parse: text },
  healthPublic: { flags: '--health-public', description: '/livez and /readyz answer without the token (Kubernetes probes)', parse: flag },
  minReady: { flags: '--min-ready <n>', description: '/readyz is 200 while at least n workers are ready (default: all)', parse: int },
  perWorkerMetrics: { flags: '--per-worker-metrics', description: 'app metrics keep one series per worker (label worker) instead of merging', parse: flag },
  metricsIntervalMs: { flags: '--metrics-interval-ms <ms>', description: 'workers push app metrics this often (a scrape serves what they last pushed)', parse: int },
} as const satisfies Record<Exclude<OptionName, 'script'>, FlagSpec>;

const size: FlagParser = (raw, _prev, flag) => {
  if (/^\d+$/.test(raw.trim())) return Number(raw);
  if (!SIZE_PATTERN.test(raw.trim())) throw bad(flag, raw, 'a size such as 10M, 512K or a number of bytes');
  return raw.trim();
};

const fileMode: FlagParser = (raw, _prev, flag) => {
  if (!/^0?[0-7]{3}$/.test(raw.trim())) throw bad(flag, raw, 'an octal file mode such as 600 or 640');
  return raw.trim();
};

/** The log options of `drover start` (and config files): one flag each. */
export const LOG_OPTION_TABLE = {
  outFile: { flags: '--out-file <path>', description: "workers' stdout (default DROVER_HOME/logs/<name>-out.log; the error file's path merges both)", parse: text },
  errorFile: { flags: '--error-file <path>', description: "workers' stderr (default DROVER_HOME/logs/<name>-error.log)", parse: text },
  logDateFormat: { flags: '--log-date-format <format>', description: 'timestamp format, dayjs tokens, e.g. "YYYY-MM-DD HH:mm:ss" (default ISO 8601 UTC)', parse: text },
  logMaxSize: { flags: '--log-max-size <size>', description: 'rotate a log file before it passes this size, e.g. 10M (0: no limit; default 10M)', parse: size },
  logKeep: { flags: '--log-keep <n>', description: 'rotated files kept per log file (default 5)', parse: int },
  logDaily: { flags: '--log-daily', description: 'rotate at the first line of each new day', parse: flag },
  logGzip: { flags: '--log-gzip', description: 'gzip rotated log files', parse: flag },
  logJson: { flags: '--log-json', description: 'JSON lines ({time, worker, stream, msg}) instead of text', parse: flag },
  logFileMode: { flags: '--log-file-mode <mode>', description: 'mode of new log files, octal, e.g. 640 (default 600)', parse: fileMode },
} as const satisfies Record<LogOptionName, FlagSpec>;
