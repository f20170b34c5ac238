// The options of supervise() (and of one app in a config file). The zod
// schema is the single source: the TypeScript type, the defaults and the CLI
// option table (src/cli/option-table.ts) are all derived from or checked
// against it, so an option without a flag does not compile.
import { z } from 'zod';

// Every parse here is one-shot (a start, a reload, a config file): zod's JIT
// would compile a fast path (new Function) per object schema for that one
// parse, which cost more than the parse itself on `drover start`'s path
// (issue 17: ~80 ms of a warm start's CLI CPU under load, --cpu-prof).
z.config({ jitless: true });

/**
 * Node's timers take at most 2^31-1 ms (about 24.8 days); a longer delay
 * fires after 1 ms (with a TimeoutOverflowWarning), which turned a huge ready
 * timeout into an immediate failure and a huge heartbeat timeout into a
 * replacement loop. Every duration option is bounded by it (issue 15).
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;
const durationMs = (min: number) =>
  z.number().int().min(min).max(MAX_TIMER_MS, { message: `must be at most ${MAX_TIMER_MS} ms (about 24.8 days, the longest a Node timer can wait)` });
const nonNegativeMs = durationMs(0);

import { AGENT_READY_ON, BALANCE_MODES, EXEC_MODES, LOG_LEVELS, READY_ON_OPTIONS, READY_TIMEOUT_ACTIONS, RESTART_POLICIES, STATE_BACKENDS, STOP_SIGNALS, TREE_TRACKING_MODES } from '../core/enums.js';
import { MAX_IPC_MAX_MESSAGE, MIN_IPC_MAX_MESSAGE } from '../protocol/ipc-limit.js';
export { BALANCE_MODES, type BalanceMode } from '../core/enums.js';
import { SIZE_PATTERN } from './size.js';
import { parseStickyKeySpec, STICKY_KEY_FORMAT } from '../balancer/sticky-key.js';

export const instancesSchema = z.union([
  z.literal('max'),
  z
    .number()
    .int()
    .refine((n) => n !== 0, { message: 'must not be 0: use a positive count, "max" (one per core) or a negative number (cores minus n)' }),
]);

export const superviseOptionsSchema = z
  .object({
    script: z.string().min(1),
    /** A script run as the app's agent: one process beside the workers, for work that must run once (resolved like script). */
    agent: z.string().min(1).optional(),
    /** When the agent counts as ready (workers fork only then): 'ready' (it calls ready() from drover/worker) or 'online' (it runs). */
    agentReadyOn: z.enum(AGENT_READY_ON).default('ready'),
    agentReadyTimeoutMs: z.number().int().min(1).default(30_000),
    args: z.array(z.string()).default([]),
    name: z.string().min(1).optional(),
    instances: instancesSchema.default(1),
    /** Allow more than MAX_WORKERS_PER_CORE workers per core (refused otherwise, before anything starts). */
    force: z.boolean().default(false),
    cwd: z.string().optional(),
    env: z.record(z.string(), z.string()).default({}),
    nodeArgs: z.array(z.string()).default([]),
    /** 'node' (default for .js/.mjs/.cjs/.ts), 'none' (run the file itself, no IPC), or an interpreter path such as python3. */
    interpreter: z.string().min(1).optional(),
    restart: z.enum(RESTART_POLICIES).default('always'),
    stopExitCodes: z.array(z.number().int().min(0).max(255)).default([]),
    maxRestarts: z.number().int().min(0).default(10),
    restartWindowMs: durationMs(1).default(60_000),
    restartDelayMs: nonNegativeMs.default(100),
    maxRestartDelayMs: nonNegativeMs.default(15_000),
    minUptimeMs: nonNegativeMs.default(1_000),
    killTimeoutMs: durationMs(1).default(5_000),
    stopSignal: z.enum(STOP_SIGNALS).default('SIGTERM'),
    readyOn: z.enum(READY_ON_OPTIONS).default('listen'),
    /** Ready only when the worker calls ready() from drover/worker (or PM2's process.send('ready')). */
    waitReady: z.boolean().default(false),
    readyTimeoutMs: durationMs(1).default(30_000),
    /** fail: a worker not ready in time is stopped (a first start fails); ready: taken as ready with a warning (PM2's listen_timeout). */
    readyTimeoutAction: z.enum(READY_TIMEOUT_ACTIONS).default('fail'),
    /** cluster: workers share ports through the master; fork: each process binds its own (not a server, or one instance), ready after minUptimeMs. */
    execMode: z.enum(EXEC_MODES).default('cluster'),
    /** Replacements started at once during a rolling reload. */
    reloadBatch: z.number().int().min(1).default(1),
    /**
     * How connections reach workers. Master-balanced strategies: round-robin,
     * least-connections, least-loaded, sticky (alias ip-hash), weighted. Kernel
     * modes: kernel (workers accept from the shared socket), reuseport (each
     * worker binds its own socket; Node >= 22.12). Default: round-robin, or
     * NODE_CLUSTER_SCHED_POLICY (rr → round-robin, none → kernel).
     */
    balance: z.enum(BALANCE_MODES).optional(),
    /** Weights per worker slot for balance: weighted (default 1). */
    weights: z.array(z.number().min(0)).default([]),
    /**
     * Sessions stick to a worker by a request attribute: cookie:<name>,
     * header:<name> or query:<name> (query:sid for socket.io). The master reads
     * the request head before the hand-off; plain HTTP/1 only (not TLS).
     */
    stickyKey: z
      .string()
      .refine((s) => parseStickyKeySpec(s) !== undefined, { message: `must be ${STICKY_KEY_FORMAT}` })
      .optional(),
    /** Booted, ready workers that get no traffic until one is needed. */
    spares: z.number().int().min(0).default(0),
    /** 0 disables the heartbeat. */
    heartbeatIntervalMs: nonNegativeMs.default(1_000),
    heartbeatTimeoutMs: durationMs(1).default(5_000),
    /** RSS limit: a number of bytes or a size such as "512M"; the worker is replaced gracefully. */
    maxMemory: z.union([z.number().int().min(1), z.string().regex(SIZE_PATTERN, 'a size such as 512M, 1G or a number of bytes')]).optional(),
    /** Replace a worker after this many requests (HTTP) or connections (other servers). */
    maxRequests: z.number().int().min(0).default(0),
    maxRequestsJitter: z.number().int().min(0).default(0),
    /** Rolling reload when files change: true (the app's cwd) or glob patterns relative to it. */
    watch: z.union([z.boolean(), z.array(z.string().min(1))]).default(false),
    watchDebounceMs: nonNegativeMs.default(300),
    /** Rolling reload on a cron schedule, e.g. "0 3 * * *". */
    cronRestart: z.string().min(1).optional(),
    /** The shared state store: file (default, an append-only log), memory, or redis (shared by several masters). */
    stateBackend: z.enum(STATE_BACKENDS).default('file'),
    /** redis: redis://host:port[/db]. */
    stateUrl: z.string().min(1).optional(),
    /** file: where the log lives (default DROVER_HOME/apps/<name>/state). */
    stateDir: z.string().min(1).optional(),
    /** redis: the prefix of drover's keys (default: the app name); masters with one namespace share one store. */
    stateNamespace: z.string().min(1).max(200).optional(),
    logLevel: z.enum(LOG_LEVELS).default('info'),
    /**
     * The longest message a worker or the agent may send the master with process.send, in characters of
     * JSON (bytes for ASCII; protocol/ipc-limit.ts). Default: DROVER_IPC_MAX_MESSAGE, else 4 Mi.
     */
    ipcMaxMessageBytes: z
      .number()
      .int()
      .min(MIN_IPC_MAX_MESSAGE, { message: `must be at least ${MIN_IPC_MAX_MESSAGE} (64 Ki): drover's own messages (metrics snapshots) must fit` })
      .max(MAX_IPC_MAX_MESSAGE, { message: `must be at most ${MAX_IPC_MAX_MESSAGE} (256 Mi): pass larger data through a file or the shared state` })
      .optional(),
    /** How the app's whole tree is found at stop: auto (a cgroup where drover may create one, else the environment mark), cgroup, env, off. */
    treeTracking: z.enum(TREE_TRACKING_MODES).default('auto'),
    // Observability (src/http, src/metrics): /metrics, /livez, /readyz on this port when set (0: a free port).
    metricsPort: z.number().int().min(0).max(65535).optional(),
    metricsHost: z.string().min(1).default('127.0.0.1'),
    /** The token every endpoint requires; default DROVER_HTTP_TOKEN, else a random one kept in DROVER_HOME/http-token. */
    metricsToken: z.string().min(1).optional(),
    /** /livez and /readyz answer without the token (Kubernetes probes); they never show env or app data. */
    healthPublic: z.boolean().default(false),
    /** /readyz is 200 while at least this many workers are ready (default: all desired). */
    minReady: z.number().int().min(0).optional(),
    /** App metrics keep one series per worker slot (label worker) instead of merging them. */
    perWorkerMetrics: z.boolean().default(false),
    /** Workers push their app metrics, and the master samples its process metrics, this often: a page is at most this old. */
    metricsIntervalMs: z.number().int().min(100).max(60_000).default(1000),
  })
  .strict();

/** What a caller may pass (defaults optional). */
export type SuperviseOptions = z.input<typeof superviseOptionsSchema>;
/** After validation and defaults. */
export type ParsedOptions = z.output<typeof superviseOptionsSchema>;
export type OptionName = keyof SuperviseOptions;
