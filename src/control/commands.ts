// The control protocol's command maps: every command with its arguments and
// its result, one map per server (the daemon, an app master). The server's
// handler table, the client's call() and the CLI are all typed by these maps,
// so a command, argument or result that changes on one side fails to compile
// on the other. Types only.
//
// Arguments arrive as JSON from a peer that may be older, newer or hostile:
// the types say what a well-behaved client sends; handlers still check what
// they rely on (a bad request is answered with an error, never a crash).
import type { SuperviseOptions } from '../config/schema.js';
import type { ErrorCode } from '../errors.js';
import type { AppDescription, AppSummary, LaunchRecord, MasterStatus, StartResult } from './records.js';
import type { WireError } from './wire.js';

/** The shape every command map has. */
export type CommandMap = { readonly [command: string]: { readonly args: object; readonly result: unknown } };

export type NoArgs = Record<string, never>;

/** Apps a command applies to: 'all', one name, or several. */
export type Target = 'all' | string | readonly string[];

/** One app's part of a command that runs per app; failures are reported per app, not thrown. */
export interface Settled<T> {
  readonly name: string;
  readonly ok: boolean;
  readonly data?: T;
  readonly error?: WireError;
}

export interface StopResult {
  readonly name: string;
  readonly exitCode: number;
  readonly error?: string;
}

export interface ReloadResult {
  readonly id: number;
  readonly workers: number;
  readonly durationMs: number;
  /**
   * With records (a re-read config file): what was done. 'restarted' when the
   * change is one a reload cannot make (reason: the refusal), 'started' for
   * an app that was not running.
   */
  readonly applied?: 'reloaded' | 'restarted' | 'started';
  readonly reason?: string;
}

export interface ScaleResult {
  readonly from: number;
  readonly to: number;
}

export interface SignalResult {
  readonly signal: string;
  readonly pids: readonly number[];
}

export interface DaemonInfo {
  readonly pid: number;
  readonly version: string;
  readonly uptimeMs: number;
  readonly home: string;
  readonly apps: number;
}

/** How an app master ended: its exit status, the error that ended it, and whether a stop was asked for. */
export interface MasterOutcome {
  readonly exitCode: number;
  readonly error?: { readonly code: ErrorCode; readonly message: string };
  readonly stopRequested?: boolean;
  /** Worker restarts of this master: `drover list` keeps showing them once it has ended (after a give-up). */
  readonly restarts?: number;
}

/** The daemon's control socket (DROVER_HOME/daemon.sock). */
export type DaemonCommands = {
  ping: { args: NoArgs; result: DaemonInfo };
  /**
   * prespawned: app name → pid of a master the CLI started itself (a cold
   * start). Emits 'accepted' {names} once every record passed the checks.
   */
  start: { args: { records: readonly LaunchRecord[]; prespawned?: Readonly<Record<string, number>> }; result: Array<Settled<StartResult>> };
  list: { args: NoArgs; result: AppSummary[] };
  describe: { args: { name: string }; result: AppDescription };
  stop: { args: { target?: Target; force?: boolean }; result: StopResult[] };
  delete: { args: { target?: Target; force?: boolean }; result: StopResult[] };
  /**
   * records: the apps of a re-read config file, whose options replace the
   * saved ones (an app not running is started); target names the others
   * (an empty list: none).
   */
  restart: { args: { target?: Target; records?: readonly LaunchRecord[] }; result: Array<Settled<StartResult>> };
  /** Emits the masters' reload events with {app} added. records: as for restart, reloaded in place where the change allows. */
  reload: { args: { target?: Target; records?: readonly LaunchRecord[] }; result: Array<Settled<ReloadResult>> };
  scale: { args: { name: string; instances: number; force?: boolean; wait?: boolean }; result: ScaleResult };
  signal: { args: { target?: Target; signal: string }; result: Array<SignalResult & { name: string }> };
  save: { args: NoArgs; result: { file: string; apps: string[]; secretsLeftOut: string[] } };
  resurrect: { args: { env: Readonly<Record<string, string>> }; result: { results: Array<Settled<StartResult>>; skipped: string[]; warnings: string[] } };
  kill: { args: NoArgs; result: { pid: number; stopped: StopResult[] } };
};

/** An app master's control socket (DROVER_HOME/apps/<name>.sock). */
export type MasterCommands = {
  ping: { args: NoArgs; result: { pid: number; name: string } };
  /** What a new daemon needs to adopt a running master. */
  info: { args: NoArgs; result: { pid: number; record: LaunchRecord; status: MasterStatus } };
  status: { args: NoArgs; result: MasterStatus };
  'wait-ready': { args: NoArgs; result: { workers: number; durationMs: number; addresses: string[] } };
  /**
   * Answers when the master halts; a connection that closes without this
   * answer means it died. Emits 'changed' at once and when what `list` shows
   * may have moved since the last status read (daemon/master/status-changes.ts).
   */
  watch: { args: NoArgs; result: MasterOutcome };
  /** Emits 'reload-start', 'fork', 'worker-ready', 'worker-exit'. */
  reload: { args: { options?: SuperviseOptions }; result: ReloadResult };
  scale: { args: { instances: number; force?: boolean; wait?: boolean }; result: ScaleResult };
  signal: { args: { signal: string }; result: SignalResult };
  stop: { args: { force?: boolean }; result: MasterOutcome };
  /** The app's shared state store (`drover state <app> …`); watch emits 'state' events until the client disconnects. */
  state: { args: StateCommandArgs; result: unknown };
};

/** `drover state <app> <op> [key] [value]`. */
export const STATE_OPS = ['get', 'set', 'delete', 'list', 'watch'] as const;
export type StateOp = (typeof STATE_OPS)[number];
export interface StateCommandArgs {
  readonly op: StateOp;
  /** A key; for list and watch a key or a prefix ending in * (default every key). */
  readonly key?: string;
  readonly value?: unknown;
  readonly ifVersion?: number;
}

export type CommandName<M extends CommandMap> = keyof M & string;
export type ArgsOf<M extends CommandMap, C extends CommandName<M>> = M[C]['args'];
export type ResultOf<M extends CommandMap, C extends CommandName<M>> = M[C]['result'];
