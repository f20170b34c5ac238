// The options of supervise() (and of one app in a config file). The zod
// schema is the single source: the TypeScript type, the defaults and the CLI
// option table (src/cli/option-table.ts) are all derived from or checked
// against it, so an option without a flag does not compile.
import { z } from 'zod';

const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP', 'SIGUSR2', 'SIGKILL'] as const;

const nonNegativeMs = z.number().int().min(0);

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
    args: z.array(z.string()).default([]),
    name: z.string().min(1).optional(),
    instances: instancesSchema.default(1),
    cwd: z.string().optional(),
    env: z.record(z.string(), z.string()).default({}),
    nodeArgs: z.array(z.string()).default([]),
    /** 'node' (default for .js/.mjs/.cjs/.ts), 'none' (run the file itself, no IPC), or an interpreter path such as python3. */
    interpreter: z.string().min(1).optional(),
    restart: z.enum(['always', 'on-failure', 'never']).default('always'),
    stopExitCodes: z.array(z.number().int().min(0).max(255)).default([]),
    maxRestarts: z.number().int().min(0).default(10),
    restartWindowMs: z.number().int().min(1).default(60_000),
    restartDelayMs: nonNegativeMs.default(100),
    maxRestartDelayMs: nonNegativeMs.default(15_000),
    minUptimeMs: nonNegativeMs.default(1_000),
    killTimeoutMs: z.number().int().min(1).default(5_000),
    stopSignal: z.enum(SIGNALS).default('SIGTERM'),
    readyOn: z.enum(['listen', 'online']).default('listen'),
    readyTimeoutMs: z.number().int().min(1).default(30_000),
    logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  })
  .strict();

/** What a caller may pass (defaults optional). */
export type SuperviseOptions = z.input<typeof superviseOptionsSchema>;
/** After validation and defaults. */
export type ParsedOptions = z.output<typeof superviseOptionsSchema>;
export type OptionName = keyof SuperviseOptions;
