// The master's own log lines: JSON, one per call, in pino's layout
// ({"level":30,"time":…,<bindings>,<fields>,"msg":…}), written synchronously.
// Not pino itself: loading pino costs an app master ~2.6 MB of private memory
// (measured with /proc/self/smaps_rollup), and the master only ever writes
// flat records. Any pino logger fits the Logger type, so library users may
// still pass their own.
import { writeSync } from 'node:fs';
import type { LogLevel } from '../core/enums.js';

type LogFn = {
  (fields: Record<string, unknown>, msg?: string): void;
  (msg: string): void;
};

/** The part of a logger the master uses (pino's call signatures). */
export interface Logger {
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  fatal: LogFn;
}

const VALUES = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity } as const satisfies Record<LogLevel, number>;

/** Writes each line whole; the default writes to fd 1 as pino's default destination does. */
export type LineSink = (line: string) => void;

const stdoutSink: LineSink = (line) => {
  try {
    writeSync(1, line);
  } catch {
    /* stdout closed (EPIPE): a log line is not worth the master */
  }
};

export interface LineLoggerOptions {
  readonly level: LogLevel;
  /** Fields on every line, after level (and time). */
  readonly base?: Record<string, unknown>;
  /** Default true: wall-clock ms in `time`, as pino. */
  readonly timestamp?: boolean;
  readonly sink?: LineSink;
}

export function createLineLogger(options: LineLoggerOptions): Logger {
  const threshold = VALUES[options.level];
  const sink = options.sink ?? stdoutSink;
  const base = options.base ?? {};
  const timestamp = options.timestamp ?? true;
  const at = (level: number): LogFn => {
    if (level < threshold) return () => {};
    return ((a: Record<string, unknown> | string, b?: string) => {
      const fields = typeof a === 'string' ? {} : a;
      const msg = typeof a === 'string' ? a : b;
      const record = timestamp ? { level, time: Date.now(), ...base, ...fields } : { level, ...base, ...fields };
      sink(`${JSON.stringify(msg === undefined ? record : { ...record, msg })}\n`);
    }) as LogFn;
  };
  return { trace: at(10), debug: at(20), info: at(30), warn: at(40), error: at(50), fatal: at(60) };
}
