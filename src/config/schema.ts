// The options of supervise() (and of one app in a config file). The zod
// schema is the single source: the TypeScript type, the defaults and the CLI
// option table (src/cli/option-table.ts) are all derived from or checked
// against it, so an option without a flag does not compile.
import { z } from 'zod';

const nonNegativeMs = z.number().int().min(0);

import { BALANCE_MODES, LOG_LEVELS, READY_ON_OPTIONS, RESTART_POLICIES, STOP_SIGNALS } from '../core/enums.js';
export { BALANCE_MODES, type BalanceMode } from '../core/enums.js';
import { SIZE_PATTERN } from './size.js';

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
    restartWindowMs: z.number().int().min(1).default(60_000),
    restartDelayMs: nonNegativeMs.default(100),
    maxRestartDelayMs: nonNegativeMs.default(15_000),
    minUptimeMs: nonNegativeMs.default(1_000),
    killTimeoutMs: z.number().int().min(1).default(5_000),
    stopSignal: z.enum(STOP_SIGNALS).default('SIGTERM'),
    readyOn: z.enum(READY_ON_OPTIONS).default('listen'),
    /** Ready only when the worker calls ready() from drover/worker (or PM2's process.send('ready')). */
    waitReady: z.boolean().default(false),
    readyTimeoutMs: z.number().int().min(1).default(30_000),
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
    /** Booted, ready workers that get no traffic until one is needed. */
    spares: z.number().int().min(0).default(0),
    /** 0 disables the heartbeat. */
    heartbeatIntervalMs: nonNegativeMs.default(1_000),
    heartbeatTimeoutMs: z.number().int().min(1).default(5_000),
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
    logLevel: z.enum(LOG_LEVELS).default('info'),
  })
  .strict();

/** What a caller may pass (defaults optional). */
export type SuperviseOptions = z.input<typeof superviseOptionsSchema>;
/** After validation and defaults. */
export type ParsedOptions = z.output<typeof superviseOptionsSchema>;
export type OptionName = keyof SuperviseOptions;
