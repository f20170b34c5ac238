// Types of the pure supervisor core. Nothing in src/core imports node:*:
// step() decides, src/runtime acts.
import type { ErrorCode } from '../errors.js';
import type { Balance, ExecMode, LogLevel, ReadyOn, ReadyTimeoutAction, RestartPolicy, StopSignal, StrategyName, TreeTracking } from './enums.js';
import type { StateSpec } from '../state/types.js';

export type { Balance, ExecMode, LogLevel, ReadyOn, ReadyTimeoutAction, RestartPolicy, StopSignal, StrategyName, TreeTracking } from './enums.js';

/** The agent's script, resolved like the app's: an absolute path, and how it runs (no interpreter option). */
export interface AgentSpec {
  readonly script: string;
  readonly mode: 'node' | 'exec';
  /** signal: ready() from drover/worker (or process.send('ready')); online: once it runs. Workers fork only after it is ready. */
  readonly readyOn: 'signal' | 'online';
  /** Not ready within this during the first start: the start fails (DROVER_E_AGENT_READY_TIMEOUT). */
  readonly readyTimeoutMs: number;
}

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
  /** One process per app beside the workers (no ports, no DROVER_WORKER_ID), restarted on its own window. */
  readonly agent: AgentSpec | undefined;
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
  /** listen: first listen(); online: process runs; signal: ready() / process.send('ready'). */
  readonly readyOn: ReadyOn;
  readonly readyTimeoutMs: number;
  /** fail: a worker not ready in time is stopped (and a first start fails); ready: it counts as ready, with a warning. */
  readonly readyTimeoutAction: ReadyTimeoutAction;
  /** fork: the worker binds its own ports (no listen interception); ready after minUptimeMs unless waitReady. */
  readonly execMode: ExecMode;
  readonly reloadBatch: number;
  /** A master-balanced strategy name, or 'kernel' / 'reuseport' (workers accept themselves). */
  readonly balance: Balance;
  readonly weights: readonly number[];
  /** Stickiness by a request attribute: cookie:<name> | header:<name> | query:<name> (balancer/sticky-key.ts). */
  readonly stickyKey: string | undefined;
  readonly spares: number;
  /** 0: no heartbeat. */
  readonly heartbeatIntervalMs: number;
  readonly heartbeatTimeoutMs: number;
  readonly maxMemoryBytes: number | undefined;
  /** 0: no limit. */
  readonly maxRequests: number;
  readonly maxRequestsJitter: number;
  readonly watch: boolean | readonly string[];
  readonly watchDebounceMs: number;
  readonly cronRestart: string | undefined;
  readonly logLevel: LogLevel;
  /** The IPC message bound (protocol/ipc-limit.ts); undefined: DROVER_IPC_MAX_MESSAGE, else the default. */
  readonly ipcMaxMessageBytes?: number | undefined;
  /** How the app's tree is found at stop; undefined: auto. */
  readonly treeTracking?: TreeTracking | undefined;
  /** The shared state store (src/state). */
  readonly state: StateSpec;
}

export type WorkerPhase = 'starting' | 'online' | 'ready' | 'stopping';
export type WorkerRole = 'active' | 'spare';

export interface PendingRestart {
  readonly slot: number;
  readonly role: WorkerRole;
}

/** Why the supervisor asked a worker to stop. */
export type StopReason = 'shutdown' | 'scale-down' | 'crashed' | 'ready-timeout' | 'failed-start' | 'hung' | 'replaced' | 'reload-failed';

/** Why a worker is replaced while it still runs. */
export type RecycleReason = 'reload' | 'memory' | 'max-requests';

export interface WorkerRec {
  /** Unique for every process the supervisor ever starts. */
  readonly wid: number;
  /** DROVER_WORKER_ID: a stable slot 0..N-1, reused by the worker's replacement. */
  readonly slot: number;
  readonly startedAt: number;
  readonly pid: number | undefined;
  readonly phase: WorkerPhase;
  readonly everReady: boolean;
  /** Its place is already taken (it announced a crash or was found hung): it only has to go, its exit restarts nothing. */
  readonly condemned: boolean;
  readonly stopReason: StopReason | undefined;
  /** SIGKILL was sent after the stop deadline (not `killed`: that is the word of the child.killed trap). */
  readonly sigkillSent: boolean;
  /** A spare is booted and ready but gets no connections until promoted. */
  readonly role: WorkerRole;
  /** Graceful replacement: the worker this one takes over from once it is ready. */
  readonly predecessor: number | undefined;
  /** Graceful replacement under way: the worker that will take over from this one. */
  readonly successor: number | undefined;
  /** Requests after which this worker is recycled (maxRequests plus its jitter); undefined: no limit. */
  readonly requestLimit: number | undefined;
}

export interface ReloadState {
  readonly id: number;
  /** Old workers still to replace, oldest first. */
  readonly pending: readonly number[];
  /** Replacements started and not yet ready. */
  readonly inFlight: readonly number[];
  /** Old workers told to stop and not yet gone. */
  readonly draining: readonly number[];
  readonly previousSpec: AppSpec;
  readonly startedAt: number;
}

export type SupervisorPhase = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

export interface Outcome {
  readonly exitCode: number;
  readonly error?: { readonly code: ErrorCode; readonly message: string };
}

/** The agent process that runs now. */
export interface AgentRec {
  /** From the same counter as worker ids: the message hub knows every process by it. */
  readonly wid: number;
  readonly pid: number | undefined;
  readonly startedAt: number;
  /** The supervisor asked it to stop: its exit restarts nothing. (One being replaced is signalled without this.) */
  readonly stopping: boolean;
  /** SIGKILL was sent. */
  readonly sigkillSent: boolean;
  /** It said ready (or runs, with readyOn online). */
  readonly ready: boolean;
}

export interface AgentState {
  readonly proc: AgentRec | undefined;
  /** Its restart waits on the 'agent-restart' timer. */
  readonly pending: boolean;
  /** Its own sliding window: an agent that keeps crashing is given up, the workers keep running. */
  readonly restartTimes: readonly number[];
  /** Consecutive short-lived runs, for the backoff. */
  readonly attempts: number;
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
  /** Replacements for abusing the message channels: their own window (same limits), so abuse never uses up the crash window (issue 15). */
  readonly abuseTimes: readonly number[];
  /** Consecutive short-lived failures per slot, for the backoff. */
  readonly slotAttempts: Readonly<Record<number, number>>;
  /** Slots waiting on a backoff timer before their replacement is spawned. */
  readonly pendingRestarts: readonly PendingRestart[];
  readonly startRequestedAt: number | undefined;
  /** Set once the supervisor decided how it ends (stop, give-up, failed start). */
  readonly outcome: Outcome | undefined;
  readonly forced: boolean;
  readonly reload: ReloadState | undefined;
  readonly nextReloadId: number;
  readonly agent: AgentState;
  /** Every worker was ready once (the first start ended): processes that become ready later get app-ready at once. */
  readonly appReady: boolean;
}

export type ExitReason = 'stopped' | 'killed' | 'crashed' | 'exited' | 'ready-timeout' | 'hung' | 'replaced';

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
  | { readonly event: 'started'; readonly workers: number; readonly durationMs: number; readonly balance: Balance }
  | { readonly event: 'start-failed'; readonly code: ErrorCode; readonly message: string }
  | { readonly event: 'scale'; readonly from: number; readonly to: number }
  | { readonly event: 'stopping'; readonly force: boolean }
  /** Something the user should act on that stops nothing (a worker slow to listen, a ready timeout taken as ready). */
  | { readonly event: 'warning'; readonly wid: number; readonly slot: number; readonly pid: number | undefined; readonly message: string }
  | { readonly event: 'hung'; readonly wid: number; readonly slot: number; readonly pid: number | undefined; readonly silentMs: number }
  | { readonly event: 'recycle'; readonly wid: number; readonly slot: number; readonly pid: number | undefined; readonly reason: RecycleReason; readonly value: number }
  | { readonly event: 'promote'; readonly wid: number; readonly slot: number; readonly pid: number | undefined }
  | { readonly event: 'reload-start'; readonly id: number; readonly workers: number }
  | { readonly event: 'reloaded'; readonly id: number; readonly workers: number; readonly durationMs: number }
  | { readonly event: 'reload-failed'; readonly id: number; readonly message: string }
  | { readonly event: 'reload-refused'; readonly code: ErrorCode; readonly message: string }
  | { readonly event: 'stopped'; readonly exitCode: number }
  | { readonly event: 'agent-spawn'; readonly wid: number; readonly pid: number | undefined }
  | { readonly event: 'agent-ready'; readonly wid: number; readonly pid: number | undefined; readonly durationMs: number }
  | { readonly event: 'agent-crash'; readonly wid: number; readonly pid: number | undefined; readonly error: string }
  | {
      readonly event: 'agent-exit';
      readonly wid: number;
      readonly pid: number | undefined;
      readonly code: number | null;
      readonly signal: string | null;
      readonly reason: 'stopped' | 'killed' | 'crashed' | 'exited';
      readonly uptimeMs: number;
      readonly error?: string;
    }
  | { readonly event: 'agent-restart'; readonly delayMs: number; readonly attempt: number; readonly restartsInWindow: number }
  | { readonly event: 'agent-gave-up'; readonly restarts: number; readonly windowMs: number };

export type TimerKey = `kill:${number}` | `ready:${number}` | `up:${number}` | `listen-hint:${number}` | `restart:${number}` | `hb:${number}` | `agent-kill:${number}` | 'agent-restart' | 'agent-ready';

/** What starts a reload by itself (src/runtime/triggers.ts carries it out). */
export interface Triggers {
  readonly cwd: string;
  readonly watch: boolean | readonly string[];
  readonly watchDebounceMs: number;
  readonly cronRestart: string | undefined;
}

/** What a worker reports with each heartbeat. */
export interface WorkerStats {
  readonly rss: number;
  readonly elu: number;
  readonly lagMs: number;
  readonly requests: number;
}

export type Event =
  | { readonly type: 'start' }
  /** random: 0..1 from the runtime, for the worker's maxRequests jitter (the core has no randomness). */
  | { readonly type: 'spawned'; readonly wid: number; readonly pid: number | undefined; readonly random: number }
  | { readonly type: 'spawn-failed'; readonly wid: number; readonly message: string }
  | { readonly type: 'online'; readonly wid: number }
  | { readonly type: 'listening'; readonly wid: number; readonly address: string }
  | { readonly type: 'listen-failed'; readonly wid: number; readonly code: ErrorCode; readonly message: string }
  | { readonly type: 'ready'; readonly wid: number }
  | { readonly type: 'exiting'; readonly wid: number; readonly error: string; readonly abuse?: boolean }
  | { readonly type: 'disconnect'; readonly wid: number }
  | { readonly type: 'exited'; readonly wid: number; readonly code: number | null; readonly signal: string | null }
  | { readonly type: 'timer'; readonly key: TimerKey }
  | { readonly type: 'scale'; readonly instances: number }
  | { readonly type: 'reload'; readonly spec: AppSpec }
  | { readonly type: 'stats'; readonly wid: number; readonly stats: WorkerStats }
  | { readonly type: 'stop'; readonly force?: boolean }
  | { readonly type: 'agent-spawned'; readonly wid: number; readonly pid: number | undefined }
  /** The agent called ready() (or PM2's process.send('ready')). */
  | { readonly type: 'agent-ready'; readonly wid: number }
  /** Also when it could not be started at all (code and signal null, error set). */
  | { readonly type: 'agent-exited'; readonly wid: number; readonly code: number | null; readonly signal: string | null; readonly error?: string };

export type Effect =
  | { readonly type: 'spawn'; readonly wid: number; readonly slot: number }
  /** The shutdown message and the stop signal (the core has emitted `leave` just before). */
  | { readonly type: 'stop-worker'; readonly wid: number; readonly signal: StopSignal }
  /** SIGKILL to the worker's (or the agent's) whole process group. */
  | { readonly type: 'kill'; readonly wid: number }
  | { readonly type: 'spawn-agent'; readonly wid: number }
  /** The stop signal to the agent's process group (it has no drover runtime to send a shutdown message to). */
  | { readonly type: 'stop-agent'; readonly wid: number; readonly signal: StopSignal }
  /** The worker joins the balancer of every socket it listens on (a promoted spare; see inBalancer()). */
  | { readonly type: 'join'; readonly wid: number }
  /** The worker gets no more connections (it stops, is killed or was replaced). */
  | { readonly type: 'leave'; readonly wid: number }
  /** Ping every ready worker each intervalMs (0: no pings). Carried out at start and when a reload changes it. */
  | { readonly type: 'heartbeat'; readonly intervalMs: number }
  /** Reload on file changes / on a cron schedule, replacing the triggers in force (watch false and no cron: none). */
  | { readonly type: 'triggers'; readonly triggers: Triggers }
  /** Master-balanced listeners switch to this strategy (their members stay). */
  | { readonly type: 'strategy'; readonly name: StrategyName }
  /** Tell a worker or the agent that every worker was ready (onAppReady in drover/worker). */
  | { readonly type: 'app-ready'; readonly wid: number }
  | { readonly type: 'arm'; readonly key: TimerKey; readonly ms: number }
  | { readonly type: 'cancel'; readonly key: TimerKey }
  | { readonly type: 'emit'; readonly event: LifecycleEvent }
  | { readonly type: 'halt'; readonly outcome: Outcome };

export interface StepResult {
  readonly state: State;
  readonly effects: readonly Effect[];
}
