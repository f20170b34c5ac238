// The log of one app: what the master reads from its workers' stdout/stderr
// pipes, cut into lines per worker and stream, prefixed, written to files.
//
// Chunks from a pipe end anywhere, also inside a line or a UTF-8 sequence: the
// unfinished tail is kept per (stream, worker) until its newline arrives, the
// worker ends (endWorker), or it grows past maxLineBytes (then it is written
// as lines of at most maxLineBytes, cut at character boundaries; complete
// lines longer than that are cut the same way).
import path from 'node:path';
import { logFiles } from './log-files.js';
import { formatDate, jsonLine, textLine, type LogStream } from './format.js';
import { RotatingFile, type LogSink, type RotateOptions, type SinkStats } from './rotating-file.js';

export interface AppLogOptions {
  /** Folder of the default files (DROVER_HOME/logs). */
  readonly dir: string;
  readonly name: string;
  /** Default <dir>/<name>-out.log; relative paths are taken from dir. The same path as errorFile merges both streams. */
  readonly outFile?: string;
  /** Default <dir>/<name>-error.log. */
  readonly errorFile?: string;
  /** JSON lines {time, worker, stream, msg} instead of `<time> <worker>|<msg>`. */
  readonly json?: boolean;
  /** dayjs-style tokens (PM2's log_date_format); default ISO 8601 UTC. */
  readonly dateFormat?: string;
  readonly rotate?: RotateOptions;
  /** Per file. Default 1 MiB. */
  readonly maxBufferBytes?: number;
  /** Longer unfinished lines are cut. Default 64 KiB. */
  readonly maxLineBytes?: number;
  readonly openStream?: (file: string) => LogSink;
  readonly now?: () => number;
  readonly retryMs?: number;
  readonly onError?: (err: Error) => void;
  /** Mode of new log files; default 0600 (rotating-file.ts). */
  readonly fileMode?: number;
}

export interface AppLogStats extends SinkStats {
  readonly files: Record<string, SinkStats>;
}

/** Whose output a line is: a worker slot, or the agent. */
export type OutputLabel = number | 'agent';

export interface AppLog {
  readonly outFile: string;
  readonly errorFile: string;
  /** A chunk read from a worker's pipe (labelled with its slot) or the agent's. */
  write(stream: LogStream, workerId: OutputLabel, chunk: Buffer | string): void;
  /** One complete line from drover itself (worker started, exited, ...). */
  writeLine(stream: LogStream, source: number | string, message: string): void;
  /** The worker's pipes closed: write what is left of its unfinished lines. */
  endWorker(workerId: OutputLabel): void;
  stats(): AppLogStats;
  flush(): Promise<void>;
  /** Writes unfinished lines and closes the files; gives up on a hung destination after timeoutMs (default 5 s). */
  close(timeoutMs?: number): Promise<void>;
}

const NEWLINE = 0x0a;

/** Index at or before `at` that does not split a UTF-8 sequence. */
function charBoundary(buf: Buffer, at: number): number {
  let i = at;
  while (i > 0 && i > at - 4 && (buf[i]! & 0xc0) === 0x80) i--;
  return i > 0 ? i : at;
}

export function createAppLog(options: AppLogOptions): AppLog {
  const dir = path.resolve(options.dir);
  const { out: outFile, err: errorFile } = logFiles(dir, options.name, options);
  const maxLine = options.maxLineBytes ?? 64 * 1024;
  const now = options.now ?? Date.now;
  const time = (): string => formatDate(new Date(now()), options.dateFormat);

  const format = (stream: LogStream, worker: number | string, message: string, extra?: Record<string, unknown>): string =>
    options.json ? jsonLine(time(), typeof worker === 'number' || worker === 'agent' ? worker : null, stream, message, extra) : textLine(time(), worker, message);

  const sinkFor = (file: string, stream: LogStream): RotatingFile =>
    new RotatingFile({
      file,
      rotate: options.rotate,
      maxBufferBytes: options.maxBufferBytes,
      openStream: options.openStream,
      now,
      retryMs: options.retryMs,
      onError: options.onError,
      fileMode: options.fileMode,
      dropNotice: (lines, bytes) =>
        format(stream, 'drover', `${lines} log line(s) (${bytes} bytes) dropped: the log file could not keep up`, options.json ? { dropped: lines } : undefined),
    });

  const out = sinkFor(outFile, 'out');
  const err = errorFile === outFile ? out : sinkFor(errorFile, 'err');
  const sinks = out === err ? [out] : [out, err];
  const sink = (stream: LogStream): RotatingFile => (stream === 'out' ? out : err);

  const partial = new Map<string, Buffer>();

  const emit = (stream: LogStream, worker: OutputLabel, raw: Buffer): void => {
    let end = raw.length;
    if (end > 0 && raw[end - 1] === 0x0d) end--; // CRLF
    let start = 0;
    while (end - start > maxLine) {
      const cut = charBoundary(raw, start + maxLine);
      sink(stream).write(format(stream, worker, raw.toString('utf8', start, cut)));
      start = cut;
    }
    sink(stream).write(format(stream, worker, raw.toString('utf8', start, end)));
  };

  return {
    outFile,
    errorFile,
    write(stream, workerId, chunk) {
      let buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      const key = `${stream}:${workerId}`;
      const held = partial.get(key);
      if (held) {
        buf = Buffer.concat([held, buf]);
        partial.delete(key);
      }
      let start = 0;
      for (;;) {
        const nl = buf.indexOf(NEWLINE, start);
        if (nl === -1) break;
        emit(stream, workerId, buf.subarray(start, nl));
        start = nl + 1;
      }
      if (buf.length - start > maxLine) {
        const cut = charBoundary(buf, buf.length - ((buf.length - start) % maxLine || maxLine));
        emit(stream, workerId, buf.subarray(start, cut));
        start = cut;
      }
      // Copy: the caller may reuse its buffer, and a subarray would pin all of it.
      if (start < buf.length) partial.set(key, Buffer.from(buf.subarray(start)));
    },
    writeLine(stream, source, message) {
      sink(stream).write(format(stream, source, message));
    },
    endWorker(workerId) {
      for (const stream of ['out', 'err'] as const) {
        const key = `${stream}:${workerId}`;
        const held = partial.get(key);
        if (held) {
          partial.delete(key);
          emit(stream, workerId, held);
        }
      }
    },
    stats() {
      const files: Record<string, SinkStats> = {};
      const total: SinkStats = { written: 0, dropped: 0, writtenBytes: 0, droppedBytes: 0, bufferedBytes: 0, rotations: 0 };
      for (const s of sinks) {
        const st = s.stats();
        files[s.file] = st;
        for (const k of Object.keys(total) as Array<keyof SinkStats>) total[k] += st[k];
      }
      return { ...total, files };
    },
    async flush() {
      await Promise.all(sinks.map((s) => s.flush()));
    },
    async close(timeoutMs) {
      for (const key of [...partial.keys()]) {
        const [stream, id] = key.split(':') as [LogStream, string];
        const held = partial.get(key)!;
        partial.delete(key);
        emit(stream, id === 'agent' ? id : Number(id), held);
      }
      await Promise.all(sinks.map((s) => s.close(timeoutMs)));
    },
  };
}
