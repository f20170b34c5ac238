// Every enumeration of the options, once, as `as const` arrays. The zod schema
// (config/schema.ts), the CLI option table (cli/option-table.ts) and the core
// types derive from these lists, so a new value is added here and nowhere
// else. No zod here: the CLI's option table loads this on every command.

/**
 * How an app's whole process tree is found at stop (runtime/tree-sweep.ts,
 * platform/cgroup.ts): auto (a cgroup where drover may create one, else the
 * environment mark), cgroup (the same, saying so at start when none can be
 * made), env (the mark only), off (process groups only).
 */
export const TREE_TRACKING_MODES = ['auto', 'cgroup', 'env', 'off'] as const;
export type TreeTracking = (typeof TREE_TRACKING_MODES)[number];

export const RESTART_POLICIES = ['always', 'on-failure', 'never'] as const;
export type RestartPolicy = (typeof RESTART_POLICIES)[number];

/** What an option may say: `signal` is set by waitReady, not by readyOn. */
export const READY_ON_OPTIONS = ['listen', 'online'] as const;
/**
 * What the core waits for: the first listen(), the process running, ready() /
 * process.send('ready'), or (execMode fork) the process staying up minUptimeMs.
 */
export const READY_ON = [...READY_ON_OPTIONS, 'signal', 'uptime'] as const;
export type ReadyOn = (typeof READY_ON)[number];

export const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP', 'SIGUSR2', 'SIGKILL'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Master-balanced strategies: the master accepts and picks a worker (balancer/strategies/). */
export const STRATEGY_NAMES = ['round-robin', 'least-connections', 'least-loaded', 'sticky', 'weighted'] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];

export const STRATEGY_ALIASES = { rr: 'round-robin', 'ip-hash': 'sticky' } as const satisfies Record<string, StrategyName>;

/** Kernel modes: workers accept themselves (a shared handle, or their own reusePort socket). */
export const KERNEL_MODES = ['kernel', 'reuseport'] as const;
export type KernelMode = (typeof KERNEL_MODES)[number];

/** What `balance` accepts (an option); `rr` stays an alias of NODE_CLUSTER_SCHED_POLICY only. */
export const BALANCE_MODES = ['round-robin', 'least-connections', 'least-loaded', 'sticky', 'ip-hash', 'weighted', ...KERNEL_MODES] as const;
export type BalanceMode = (typeof BALANCE_MODES)[number];

/** A resolved balance mode (AppSpec.balance): aliases are resolved to their strategy. */
export type Balance = StrategyName | KernelMode;

export function isKernelMode(balance: string): balance is KernelMode {
  return (KERNEL_MODES as readonly string[]).includes(balance);
}

/** When the agent counts as ready (the workers fork only then): it calls ready(), or it runs. */
export const AGENT_READY_ON = ['ready', 'online'] as const;
export type AgentReadyOn = (typeof AGENT_READY_ON)[number];

/** Where the shared state store lives (src/state). */
export const STATE_BACKENDS = ['file', 'memory', 'redis'] as const;
export type StateBackendName = (typeof STATE_BACKENDS)[number];

/** cluster: workers share the app's ports through the master; fork: each process is left to bind its own (PM2's exec_mode). */
export const EXEC_MODES = ['cluster', 'fork'] as const;
export type ExecMode = (typeof EXEC_MODES)[number];

/** What a ready timeout means: fail (drover's default) or ready anyway with a warning (PM2's listen_timeout). */
export const READY_TIMEOUT_ACTIONS = ['fail', 'ready'] as const;
export type ReadyTimeoutAction = (typeof READY_TIMEOUT_ACTIONS)[number];
