// The records the daemon, the app masters and the CLI exchange over the
// control protocol (commands.ts says which command carries which). Types
// only: importing this costs nothing at run time.
import type { LogOptions } from '../config/log-options.js';
import type { SuperviseOptions } from '../config/schema.js';
import type { AppSpec } from '../core/types.js';
import type { ErrorCode } from '../errors.js';

/** Everything needed to (re)start an app master. */
export interface LaunchRecord {
  readonly name: string;
  /** The app's options; `cwd` is absolute, so the record means the same from any directory. */
  readonly options: SuperviseOptions;
  /**
   * The options resolved by the CLI that validated them: a master given one
   * never loads the options schema (zod). Absent (a restored dump, an older
   * CLI): the master resolves `options` itself. Never saved in the dump (it
   * holds the declared env, secrets included).
   */
  readonly spec?: AppSpec;
  /** Log file options (config/log-options.ts); absent: DROVER_LOG_* and the defaults. */
  readonly logs?: LogOptions;
  /** The environment of the `drover start` call: the workers' base env (the declared env goes on top). */
  readonly env: Record<string, string>;
  /** Where the options came from. */
  readonly source: { readonly kind: 'script' } | { readonly kind: 'config'; readonly file: string; readonly envName?: string; readonly format?: string };
  /** Epoch ms of the first `drover start`. */
  readonly createdAt: number;
}

export interface WorkerStatus {
  readonly wid: number;
  readonly slot: number;
  readonly pid: number | undefined;
  readonly phase: string;
  readonly uptimeMs: number;
  readonly connections: number;
  /** 'spare': a ready worker outside the balancer (the `spares` option). */
  readonly role: 'active' | 'spare';
}

export interface AgentStatus {
  readonly pid: number | undefined;
  readonly uptimeMs: number;
}

/** An app master's answer to `status`. */
export interface MasterStatus {
  readonly name: string;
  readonly pid: number;
  /** Supervisor phase: starting, running, stopping, stopped. */
  readonly phase: string;
  readonly desired: number;
  readonly mode: 'node' | 'exec';
  readonly balance: string;
  readonly script: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly startedAt: number;
  readonly uptimeMs: number;
  /** Worker restarts: after crashes and hangs, and recycles for maxMemory or maxRequests (not reloads). */
  readonly restarts: number;
  /** restarts by reason: crash, memory, max-requests. */
  readonly restartReasons?: Readonly<Record<string, number>>;
  readonly reloads: number;
  readonly reloading: boolean;
  readonly addresses: readonly string[];
  readonly workers: readonly WorkerStatus[];
  /** The agent process while it runs (the app's `agent` option). */
  readonly agent?: AgentStatus;
  readonly logs: { readonly out: string; readonly err: string; readonly master: string };
  readonly logStats: { readonly written: number; readonly dropped: number; readonly rotations: number };
  readonly lastError?: { readonly code: ErrorCode; readonly message: string };
}

export type AppState = 'starting' | 'online' | 'stopping' | 'stopped' | 'errored' | 'restarting' | 'launching';

export interface ProcStats {
  /** Percent of one core since the previous sample (or over the process lifetime on the first). */
  readonly cpu: number;
  /** Resident set size in bytes. */
  readonly memory: number;
}

/** One row of `drover list` (and the head of `describe`). */
export interface AppSummary {
  readonly name: string;
  readonly status: AppState;
  readonly masterPid: number | undefined;
  readonly mode: string;
  readonly ready: number;
  readonly desired: number;
  readonly restarts: number;
  /** Restarts of the app master itself by the daemon. */
  readonly masterRestarts: number;
  /** The workers' pids (`list --json`: scripts that signal or watch them). */
  readonly pids: readonly number[];
  readonly uptimeMs: number;
  readonly cpu: number;
  readonly memory: number;
  readonly lastError?: { readonly code: string; readonly message: string };
}

export interface AppDescription extends AppSummary {
  readonly script: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly balance: string;
  readonly addresses: readonly string[];
  readonly ports: readonly number[];
  readonly workers: ReadonlyArray<WorkerStatus & Partial<ProcStats>>;
  readonly master: { readonly pid: number | undefined } & Partial<ProcStats>;
  readonly agent?: AgentStatus & Partial<ProcStats>;
  /** The declared env, secrets redacted. */
  readonly env: Record<string, string>;
  readonly options: Record<string, unknown>;
  readonly source: LaunchRecord['source'];
  readonly createdAt: number;
  readonly logs: MasterStatus['logs'] | undefined;
  readonly logStats: MasterStatus['logStats'] | undefined;
  readonly restartReasons?: MasterStatus['restartReasons'];
}

export interface StartResult {
  readonly name: string;
  readonly masterPid: number;
  readonly workers: number;
  readonly durationMs: number;
  readonly addresses: readonly string[];
  readonly warnings?: readonly string[];
}
