// Types of the pure supervisor core. Nothing in src/core imports node:*:
// step() decides, src/runtime acts.
import type { ErrorCode } from '../errors.js';

export type RestartPolicy = 'always' | 'on-failure' | 'never';
export type StopSignal = 'SIGTERM' | 'SIGINT' | 'SIGQUIT' | 'SIGHUP' | 'SIGUSR2' | 'SIGKILL';

/** One app, resolved: absolute paths, a worker count, every default applied. */
export interface AppSpec {
  readonly name: string;
  readonly script: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly nodeArgs: readonly string[];
  /** node: forked with IPC and the worker runtime; exec: spawned as is, no IPC, no port sharing. */
  readonly mode: 'node' | 'exec';
  readonly interpreter: string | undefined;
  readonly instances: number;
  readonly restart: RestartPolicy;
  readonly stopExitCodes: readonly number[];
  readonly maxRestarts: number;
  readonly restartWindowMs: number;
  readonly restartDelayMs: number;
  readonly maxRestartDelayMs: number;
  readonly minUptimeMs: number;
  readonly killTimeoutMs: number;
  readonly stopSignal: StopSignal;
  readonly readyOn: 'listen' | 'online';
  readonly readyTimeoutMs: number;
  readonly logLevel: string;
}

export type WorkerPhase = 'starting' | 'online' | 'ready' | 'stopping';

/** Why the supervisor asked a worker to stop. */
export type StopReason = 'shutdown' | 'scale-down' | 'crashed' | 'ready-timeout' | 'failed-start';

export interface WorkerRec {
  /** Unique for every process the supervisor ever starts. */
  readonly wid: number;
  /** DROVER_WORKER_ID: a stable slot 0..N-1, reused by the worker's replacement. */
  readonly slot: number;
  readonly startedAt: number;
  readonly pid: number | undefined;
  readonly phase: WorkerPhase;
  readonly everReady: boolean;
  /** A replacement was already started for it (it announced a crash): its exit restarts nothing. */
  readonly replaced: boolean;
  readonly stopReason: StopReason | undefined;
  /** SIGKILL was sent after the stop deadline. */
  readonly killed: boolean;
}

export type SupervisorPhase = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

export interface Outcome {
  readonly exitCode: number;
  readonly error?: { readonly code: ErrorCode; readonly message: string };
}

export interface State {
  readonly spec: AppSpec;
  readonly phase: SupervisorPhase;
  readonly desired: number;
  /** Live processes, oldest first. */
  readonly workers: readonly WorkerRec[];
  readonly nextWid: number;
  /** Times of restarts inside the sliding window (monotonic ms). */
  readonly restartTimes: readonly number[];
  /** Consecutive short-lived failures per slot, for the backoff. */
  readonly slotAttempts: Readonly<Record<number, number>>;
  /** Slots waiting on a backoff timer before their replacement is spawned. */
  readonly pendingRestarts: readonly number[];
  readonly startRequestedAt: number | undefined;
  /** Set once the supervisor decided how it ends (stop, give-up, failed start). */
  readonly outcome: Outcome | undefined;
  readonly forced: boolean;
}

export type ExitReason = 'stopped' | 'killed' | 'crashed' | 'exited' | 'ready-timeout';

export type LifecycleEvent =
  | { readonly event: 'fork'; readonly wid: number; readonly slot: number; readonly pid: number | undefined }
  | { readonly event: 'online'; readonly wid: number; readonly slot: number; readonly pid: number | undefined }
  | { readonly event: 'listening'; readonly wid: number; readonly slot: number; readonly pid: number | undefined; readonly address: string }
  | { readonly event: 'ready'; readonly wid: number; readonly slot: number; readonly pid: number | undefined }
  | { readonly event: 'disconnect'; readonly wid: number; readonly slot: number; readonly pid: number | undefined }
  | { readonly event: 'crash'; readonly wid: number; readonly slot: number; readonly pid: number | undefined; readonly error: string }
  | {
      readonly event: 'exit';
      readonly wid: number;
      readonly slot: number;
      readonly pid: number | undefined;
      readonly code: number | null;
      readonly signal: string | null;
      readonly reason: ExitReason;
      readonly uptimeMs: number;
    }
  | { readonly event: 'restart'; readonly slot: number; readonly delayMs: number; readonly attempt: number; readonly restartsInWindow: number }
  | { readonly event: 'giveup'; readonly restarts: number; readonly windowMs: number }
  | { readonly event: 'started'; readonly workers: number; readonly durationMs: number }
  | { readonly event: 'start-failed'; readonly code: ErrorCode; readonly message: string }
  | { readonly event: 'scale'; readonly from: number; readonly to: number }
  | { readonly event: 'stopping'; readonly force: boolean }
  | { readonly event: 'stopped'; readonly exitCode: number };

export type TimerKey = `kill:${number}` | `ready:${number}` | `restart:${number}`;

export type Event =
  | { readonly type: 'start' }
  | { readonly type: 'spawned'; readonly wid: number; readonly pid: number | undefined }
  | { readonly type: 'spawn-failed'; readonly wid: number; readonly message: string }
  | { readonly type: 'online'; readonly wid: number }
  | { readonly type: 'listening'; readonly wid: number; readonly address: string }
  | { readonly type: 'listen-failed'; readonly wid: number; readonly code: ErrorCode; readonly message: string }
  | { readonly type: 'ready'; readonly wid: number }
  | { readonly type: 'exiting'; readonly wid: number; readonly error: string }
  | { readonly type: 'disconnect'; readonly wid: number }
  | { readonly type: 'exited'; readonly wid: number; readonly code: number | null; readonly signal: string | null }
  | { readonly type: 'timer'; readonly key: TimerKey }
  | { readonly type: 'scale'; readonly instances: number }
  | { readonly type: 'stop'; readonly force?: boolean };

export type Effect =
  | { readonly type: 'spawn'; readonly wid: number; readonly slot: number }
  /** Out of the balancer at once, then the shutdown message and the stop signal. */
  | { readonly type: 'stop-worker'; readonly wid: number; readonly signal: StopSignal }
  /** SIGKILL to the worker's whole process group. */
  | { readonly type: 'kill'; readonly wid: number }
  | { readonly type: 'arm'; readonly key: TimerKey; readonly ms: number }
  | { readonly type: 'cancel'; readonly key: TimerKey }
  | { readonly type: 'emit'; readonly event: LifecycleEvent }
  | { readonly type: 'halt'; readonly outcome: Outcome };

export interface StepResult {
  readonly state: State;
  readonly effects: readonly Effect[];
}
