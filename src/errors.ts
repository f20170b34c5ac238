// The error catalog: every error drover reports to a user has a stable code,
// a distinct exit status and a message that says what to do. docs/errors.md
// lists the same codes; test/unit/errors.test.js checks the two agree.

export interface CatalogEntry {
  readonly exitCode: number;
  readonly title: string;
}

export const CATALOG = {
  DROVER_E_USAGE: { exitCode: 64, title: 'bad command line (unknown option or missing argument)' },
  DROVER_E_INVALID_OPTION: { exitCode: 65, title: 'an option has an impossible value' },
  DROVER_E_SCRIPT_NOT_FOUND: { exitCode: 66, title: 'the script does not exist' },
  DROVER_E_SCRIPT_IS_DIRECTORY: { exitCode: 67, title: 'the script is a directory' },
  DROVER_E_SCRIPT_NOT_EXECUTABLE: { exitCode: 68, title: 'the script is neither JavaScript nor executable' },
  DROVER_E_PORT_IN_USE: { exitCode: 69, title: 'the port a worker listens on is taken' },
  DROVER_E_LISTEN_FAILED: { exitCode: 73, title: 'the master could not open a listening socket' },
  DROVER_E_WORKER_BOOT: { exitCode: 70, title: 'a worker died before it was ready during the first start' },
  DROVER_E_GIVEUP: { exitCode: 71, title: 'workers crashed too often; drover gave up restarting them' },
  DROVER_E_READY_TIMEOUT: { exitCode: 72, title: 'a worker did not become ready in time' },
  DROVER_E_SPAWN: { exitCode: 74, title: 'the operating system refused to start a worker' },
  DROVER_E_STOPPED: { exitCode: 75, title: 'the supervisor was stopped before the operation finished' },
  DROVER_E_RELOAD_FAILED: { exitCode: 76, title: 'a replacement failed during a reload; the previous workers keep serving' },
  DROVER_E_RELOAD_REFUSED: { exitCode: 77, title: 'a reload is already running or the app is not running' },
  DROVER_E_CONFIG: { exitCode: 78, title: 'the configuration is invalid' },
  // Messaging (drover/worker send/request/publish, supervisor.messages): statuses 90-98.
  DROVER_E_MSG_NO_ROUTE: { exitCode: 90, title: 'no process is connected at the address a message was sent to' },
  DROVER_E_MSG_TIMEOUT: { exitCode: 91, title: 'a request got no reply in time' },
  DROVER_E_MSG_DISCONNECTED: { exitCode: 92, title: 'the receiver or the connection to the master went away before the reply' },
  DROVER_E_MSG_TOO_LARGE: { exitCode: 93, title: 'a message is larger than the maximum message size' },
  DROVER_E_MSG_OVERFLOW: { exitCode: 94, title: 'a receiver is not keeping up and its bounded queue is full' },
  DROVER_E_MSG_SERIALIZE: { exitCode: 95, title: 'a payload cannot be serialised or decoded' },
  DROVER_E_MSG_NO_HANDLER: { exitCode: 96, title: 'the receiver has no handler for the request topic' },
  DROVER_E_MSG_HANDLER: { exitCode: 97, title: 'the handler that answered a request threw' },
  DROVER_E_MSG_INVALID: { exitCode: 98, title: 'a messaging call has an invalid address, topic or option' },
  // Daemon and CLI (drover start/list/...): statuses 79-85.
  DROVER_E_DAEMON_UNREACHABLE: { exitCode: 79, title: 'the drover daemon is not running and could not be started, or did not answer' },
  DROVER_E_APP_NOT_FOUND: { exitCode: 80, title: 'no app of that name is known to the daemon' },
  DROVER_E_HOME_NOT_WRITABLE: { exitCode: 81, title: 'DROVER_HOME cannot be created or written' },
  DROVER_E_APP_EXISTS: { exitCode: 82, title: 'an app of that name is already running' },
  DROVER_E_PROTOCOL: { exitCode: 83, title: 'a malformed or oversized frame on a control socket' },
  DROVER_E_NO_DUMP: { exitCode: 84, title: 'resurrect found no saved app list' },
  DROVER_E_MASTER_DIED: { exitCode: 85, title: 'an app master process exited before answering' },
  // Supervisor structure: statuses 86-87.
  DROVER_E_RELOAD_NEEDS_RESTART: { exitCode: 86, title: 'a reload asked for a change that only a restart can make' },
  // Production modes (drover generate, startup, signal-reload): statuses 109-112.
  DROVER_E_UNSAFE_VALUE: { exitCode: 109, title: 'a name, path or value cannot be written safely into a generated file' },
  DROVER_E_GENERATE_APP: { exitCode: 110, title: 'the config file has several apps (or none of the name given) to generate for' },
  DROVER_E_NO_RUN_STATE: { exitCode: 111, title: 'signal-reload found no state of the drover run master to wait on' },
  // Hardening (issue 15): statuses 113-116.
  DROVER_E_HOME_UNSAFE: { exitCode: 113, title: 'DROVER_HOME, a parent of it or a socket in it could be changed by another user' },
  // Worker IPC (issue 15): statuses 117-118.
  DROVER_E_IPC_TOO_LARGE: { exitCode: 117, title: 'a process.send message is larger than the IPC message bound' },
  // Shared state and the agent's ordered start (issue 12): statuses 100-104.
  DROVER_E_STATE_CONFLICT: { exitCode: 100, title: 'a conditional state write found another version of the key' },
  DROVER_E_STATE_UNAVAILABLE: { exitCode: 101, title: 'the state store (master or backend) is unreachable; the write was not made' },
  DROVER_E_AGENT_READY_TIMEOUT: { exitCode: 102, title: 'the agent did not become ready in time; no worker was started' },
  DROVER_E_STATE_LIMIT: { exitCode: 103, title: 'a state value, key or the store is over its size limit' },
  DROVER_E_STATE_VALUE: { exitCode: 104, title: 'a state key or value is invalid (not a JSON value)' },
  // HTTP endpoints (metrics, health, dashboard): statuses 105-108.
  DROVER_E_HTTP_UNSAFE_BIND: { exitCode: 105, title: 'the HTTP endpoint would listen beyond loopback without an explicit token' },
  DROVER_E_HTTP_LISTEN: { exitCode: 106, title: 'the HTTP endpoint could not listen on its address' },
  DROVER_E_HTTP_TOKEN: { exitCode: 107, title: 'the HTTP token is unusable (too short, or its file cannot be read or written)' },
  // Every kind of app (issue 16): statuses 119-121.
  DROVER_E_TYPESCRIPT: { exitCode: 119, title: 'a TypeScript script cannot run on this Node and tsx is not installed' },
  DROVER_E_INTERPRETER_NO_SHARING: { exitCode: 120, title: "an interpreter would run a JavaScript file without drover's worker runtime (no port sharing)" },
  // Start-up checks of issue 16: statuses 122-124.
  DROVER_E_TOO_MANY_WORKERS: { exitCode: 122, title: 'a worker count far above the cores, without --force' },
  // drover scale (issue 16): statuses 87-88.
  DROVER_E_SCALE_NOT_READY: { exitCode: 87, title: 'drover scale: the new workers did not become ready' },
  DROVER_E_INTERNAL: { exitCode: 1, title: 'a bug in drover' },
} as const satisfies Record<string, CatalogEntry>;

export type ErrorCode = keyof typeof CATALOG;

export class DroverError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'DroverError';
    this.code = code;
    this.exitCode = CATALOG[code].exitCode;
    this.details = details;
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, exitCode: this.exitCode, ...this.details };
  }
}

export function isDroverError(err: unknown): err is DroverError {
  return err instanceof DroverError;
}

/** One line for a terminal: `drover: <message> [CODE]`. */
export function formatError(err: unknown): string {
  if (isDroverError(err)) return `drover: ${err.message} [${err.code}]`;
  const message = err instanceof Error ? err.stack ?? err.message : String(err);
  return `drover: internal error: ${message} [DROVER_E_INTERNAL]`;
}

export function exitCodeOf(err: unknown): number {
  return isDroverError(err) ? err.exitCode : CATALOG.DROVER_E_INTERNAL.exitCode;
}
