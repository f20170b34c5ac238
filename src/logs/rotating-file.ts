// One log file: an append stream with bounded buffering, rotation by size
// and/or day, retention of N rotated files and optional gzip.
//
// Rotation renames the file (never copytruncate, which loses what is written
// between the copy and the truncate): the current stream is ended and every
// write handed to it completes before the rename, and lines arriving
// meanwhile wait in the bounded queue. Rotated files are named
// `<stem>__YYYY-MM-DD_HH-mm-ss-SSS[_n]<ext>[.gz]`, and order is taken from the
// parsed name, not from mtimes.
//
// Memory is bounded: bytes queued plus bytes handed to the stream but not yet
// written never exceed maxBufferBytes. Past that, lines are dropped and
// counted; when there is room again a notice line with the count is written
// (the owner formats it).
// Named imports only: a default and named import together compile, in the
// master's CommonJS build, to __importStar, which reads every property
// descriptor of node:fs, and on Node 24 that loads internal/fs/dir.
import { createReadStream, createWriteStream, mkdir as mkdirCb, mkdirSync, readdir as readdirCb, rename as renameCb, stat as statCb, unlink as unlinkCb } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { FdSink } from './fd-sink.js';

// The callback API, promisified, not node:fs/promises: on Node 24 that module
// loads readline's interface and the fs watchers with it (~0.5 MB of private
// memory in every app master, which writes its app's logs through this file);
// for the same reason the live file is written by an FdSink, not
// fs.createWriteStream (which loads it too); zlib (~0.5 MB more) is loaded by
// the first gzip. Issue 17, docs/daemon.md.
const mkdir = promisify(mkdirCb);
const readdir = promisify(readdirCb);
const rename = promisify(renameCb);
const stat = promisify(statCb);
const unlink = promisify(unlinkCb);

/**
 * What a RotatingFile writes to: the part of a node:stream Writable it uses
 * (a Writable fits; the default is an FdSink, logs/fd-sink.ts).
 */
export interface LogSink {
  write(chunk: Buffer, cb: (err?: Error | null) => void): boolean;
  end(cb: () => void): unknown;
  destroy(): unknown;
  readonly destroyed: boolean;
  on(event: 'drain' | 'close' | 'error', listener: (err?: Error) => void): unknown;
  once(event: 'error', listener: (err?: Error) => void): unknown;
  off(event: 'drain' | 'close' | 'error', listener: (err?: Error) => void): unknown;
}

export interface RotateOptions {
  /** Rotate before a write would make the file larger than this many bytes. */
  readonly maxSize?: number;
  /** Rotate at the first write on a new (local) day. */
  readonly daily?: boolean;
  /** Rotated files kept (the live file is not counted). */
  readonly keep: number;
  readonly gzip?: boolean;
}

export interface RotatingFileOptions {
  readonly file: string;
  readonly rotate?: RotateOptions;
  /** Upper bound on buffered bytes (queue + in flight). Default 1 MiB. */
  readonly maxBufferBytes?: number;
  /** Formats the line that reports dropped lines. */
  readonly dropNotice?: (lines: number, bytes: number) => string;
  /** Injectable for tests (a stalled disk); default: an FdSink on the file (flags 'a', fileMode). */
  readonly openStream?: (file: string) => LogSink;
  readonly now?: () => number;
  /** Wait before reopening after a write error (disk full, file removed). Default 1000 ms. */
  readonly retryMs?: number;
  readonly onError?: (err: Error) => void;
  /** Mode of a log file drover creates (and of its .gz). Default 0600: app output can carry secrets (issue 15). */
  readonly fileMode?: number;
}

export interface SinkStats {
  /** Lines the stream confirmed written. */
  written: number;
  /** Lines dropped (buffer full, or the write failed). */
  dropped: number;
  writtenBytes: number;
  droppedBytes: number;
  /** Bytes held right now (queue + in flight). */
  bufferedBytes: number;
  rotations: number;
}

interface Chunk {
  readonly buf: Buffer;
  readonly lines: number;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

function stamp(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}_${pad(d.getHours())}-${pad(d.getMinutes())}-${pad(d.getSeconds())}-${pad(d.getMilliseconds(), 3)}`;
}

function dayKey(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export interface RotatedFile {
  readonly path: string;
  readonly stamp: string;
  readonly seq: number;
  readonly gzip: boolean;
}

function splitName(file: string): { dir: string; stem: string; ext: string } {
  const dir = path.dirname(file);
  const base = path.basename(file);
  const ext = path.extname(base);
  return { dir, stem: ext ? base.slice(0, -ext.length) : base, ext };
}

/** Rotated siblings of file, oldest first (one entry per rotation, .gz preferred). */
export async function listRotated(file: string): Promise<RotatedFile[]> {
  const byKey = new Map<string, RotatedFile & { key: string }>();
  for (const entry of await listRotatedAll(file)) {
    const prev = byKey.get(entry.key);
    if (!prev || entry.gzip) byKey.set(entry.key, entry);
  }
  // The key is the stamp and a zero-padded sequence number: it sorts by time.
  return [...byKey.values()].sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0)).map(({ key: _key, ...entry }) => entry);
}

/** All files of each rotation (plain and .gz while a gzip finishes), for pruning. */
async function listRotatedAll(file: string): Promise<Array<RotatedFile & { key: string }>> {
  const { dir, stem, ext } = splitName(file);
  const re = new RegExp(`^${escapeRe(stem)}__(\\d{4}-\\d{2}-\\d{2}_\\d{2}-\\d{2}-\\d{2}-\\d{3})(?:_(\\d+))?${escapeRe(ext)}(\\.gz)?$`);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const m = re.exec(name);
    return m ? [{ path: path.join(dir, name), stamp: m[1]!, seq: Number(m[2] ?? 0), gzip: m[3] !== undefined, key: `${m[1]}_${pad(Number(m[2] ?? 0), 6)}` }] : [];
  });
}

export const DEFAULT_LOG_FILE_MODE = 0o600;

export async function gzipFile(src: string, mode = DEFAULT_LOG_FILE_MODE): Promise<string> {
  const dest = `${src}.gz`;
  const tmp = `${dest}.tmp`;
  const { createGzip } = await import('node:zlib');
  await pipeline(createReadStream(src), createGzip(), createWriteStream(tmp, { mode }));
  await rename(tmp, dest);
  await unlink(src);
  return dest;
}

export class RotatingFile {
  readonly file: string;
  private readonly rotateOpts: RotateOptions | undefined;
  private readonly maxBuffer: number;
  private readonly now: () => number;
  private readonly retryMs: number;
  private readonly open: (file: string) => LogSink;
  private readonly fileMode: number;
  private readonly notice: ((lines: number, bytes: number) => string) | undefined;
  private readonly onError: (err: Error) => void;

  private stream: LogSink | undefined;
  private streamFailed = false;
  /** Size of the live file, including bytes handed to the stream. */
  private size = 0;
  private day = '';
  /** A FIFO, a character device such as /dev/null, ...: never renamed. */
  private rotatable = true;
  private queue: Chunk[] = [];
  private queuedBytes = 0;
  private inflightBytes = 0;
  private readonly inflight = new Set<{ bytes: number; lines: number }>();
  private pendingDropLines = 0;
  private pendingDropBytes = 0;
  private pumping: Promise<void> | undefined;
  private background: Promise<unknown> = Promise.resolve();
  private closed = false;
  private closing = false;
  private idleWaiters: Array<() => void> = [];
  private readonly s: SinkStats = { written: 0, dropped: 0, writtenBytes: 0, droppedBytes: 0, bufferedBytes: 0, rotations: 0 };

  constructor(options: RotatingFileOptions) {
    this.file = path.resolve(options.file);
    this.rotateOpts = options.rotate;
    this.maxBuffer = options.maxBufferBytes ?? 1024 * 1024;
    this.now = options.now ?? Date.now;
    this.retryMs = options.retryMs ?? 1000;
    const mode = options.fileMode ?? DEFAULT_LOG_FILE_MODE;
    this.fileMode = mode;
    this.open = options.openStream ?? ((f) => new FdSink(f, mode));
    this.notice = options.dropNotice;
    this.onError = options.onError ?? (() => {});
    if (this.rotateOpts && (!Number.isInteger(this.rotateOpts.keep) || this.rotateOpts.keep < 0)) {
      throw new RangeError(`rotate.keep must be a whole number >= 0, got ${this.rotateOpts.keep}`);
    }
    mkdirSync(path.dirname(this.file), { recursive: true });
  }

  /** Queues data holding `lines` lines; false when it was dropped because the buffer is full. */
  write(data: string | Buffer, lines = 1): boolean {
    if (this.closed) return false;
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    if (this.queuedBytes + this.inflightBytes + buf.length > this.maxBuffer) {
      this.drop(lines, buf.length);
      return false;
    }
    this.reportDrops();
    this.enqueue({ buf, lines });
    return true;
  }

  stats(): SinkStats {
    return { ...this.s, bufferedBytes: this.queuedBytes + this.inflightBytes };
  }

  /** Resolves when everything queued so far is written and rotated files are compressed. */
  async flush(): Promise<void> {
    for (;;) {
      if (this.pumping) await this.pumping;
      await this.waitInflight();
      await this.background;
      if (!this.pumping && this.queue.length === 0 && this.inflightBytes === 0) return;
      if (!this.pumping && this.queue.length > 0 && this.streamFailed) return; // waiting for a retry: do not hang
    }
  }

  /**
   * Writes what is queued and closes the file. A destination that does not
   * finish within timeoutMs (a hung or full disk) is abandoned: what it still
   * holds is counted as dropped, so shutdown never waits on a disk forever.
   */
  async close(timeoutMs = 5_000): Promise<void> {
    this.closing = true;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const result = await Promise.race([this.flush().then(() => 'done' as const), timedOut]);
    clearTimeout(timer);
    this.closed = true;
    if (result === 'timeout') {
      for (const c of this.queue) this.drop(c.lines, c.buf.length);
      this.queue = [];
      this.queuedBytes = 0;
      for (const w of this.inflight) this.drop(w.lines, w.bytes);
      this.inflight.clear();
      this.inflightBytes = 0;
      this.stream?.destroy();
      this.stream = undefined;
      this.onIdle();
      return;
    }
    await this.endStream();
    await this.background;
  }

  private drop(lines: number, bytes: number): void {
    this.pendingDropLines += lines;
    this.pendingDropBytes += bytes;
    this.s.dropped += lines;
    this.s.droppedBytes += bytes;
  }

  /** The notice goes in once there is room again; it may exceed the bound by its own small size. */
  private reportDrops(): void {
    if (this.pendingDropLines === 0 || !this.notice) return;
    const buf = Buffer.from(this.notice(this.pendingDropLines, this.pendingDropBytes));
    this.pendingDropLines = 0;
    this.pendingDropBytes = 0;
    this.enqueue({ buf, lines: 1 });
  }

  private enqueue(chunk: Chunk): void {
    this.queue.push(chunk);
    this.queuedBytes += chunk.buf.length;
    this.kick();
  }

  private kick(): void {
    if (this.pumping) return;
    this.pumping = this.pump().finally(() => {
      this.pumping = undefined;
      // pump() can finish without an await; chunks queued before this callback
      // ran found `pumping` still set and are waiting for a new pump.
      if (this.queue.length > 0) this.kick();
      else if (this.pendingDropLines > 0 && !this.closed && !this.streamFailed && this.inflightBytes === 0) this.reportDrops();
    });
  }

  private async pump(): Promise<void> {
    while (this.queue.length > 0) {
      if (this.streamFailed) {
        if (this.closing) {
          // Shutting down with a broken destination: no retry, count the rest.
          for (const c of this.queue) this.drop(c.lines, c.buf.length);
          this.queue = [];
          this.queuedBytes = 0;
          return;
        }
        await new Promise((r) => setTimeout(r, this.retryMs).unref());
        this.streamFailed = false;
      }
      if (!this.stream) await this.openStream();
      const stream = this.stream!;
      const batch = this.takeBatch();
      if (batch === undefined) {
        await this.rotate();
        continue;
      }
      const buf = batch.length === 1 ? batch[0]!.buf : Buffer.concat(batch.map((c) => c.buf));
      const lines = batch.reduce((n, c) => n + c.lines, 0);
      this.queuedBytes -= buf.length;
      const record = { bytes: buf.length, lines };
      this.inflight.add(record);
      this.inflightBytes += buf.length;
      this.size += buf.length;
      const ok = stream.write(buf, (err) => {
        // Already counted as dropped when close() gave up on the stream.
        if (!this.inflight.delete(record)) return;
        this.inflightBytes -= buf.length;
        if (err) {
          this.drop(lines, buf.length); // reported by the notice like lines dropped at the bound
        } else {
          this.s.written += lines;
          this.s.writtenBytes += buf.length;
        }
        if (this.inflightBytes === 0) this.onIdle();
      });
      if (!ok) await this.waitDrain(stream);
    }
  }

  /**
   * The next chunks to write without passing maxSize, or undefined when the
   * file must be rotated first. A single chunk larger than maxSize is written
   * alone into a fresh file.
   */
  private takeBatch(): Chunk[] | undefined {
    const r = this.rotateOpts;
    if (r && this.rotatable && this.size > 0 && r.daily && dayKey(this.now()) !== this.day) return undefined;
    const limit = r?.maxSize && this.rotatable ? r.maxSize : Infinity;
    const batch: Chunk[] = [];
    let bytes = 0;
    while (this.queue.length > 0 && bytes < 64 * 1024) {
      const next = this.queue[0]!;
      if (this.size + bytes + next.buf.length > limit && (this.size + bytes > 0)) break;
      batch.push(this.queue.shift()!);
      bytes += next.buf.length;
    }
    // Put them back as one accounting unit: queuedBytes is reduced by the caller.
    return batch.length > 0 ? batch : undefined;
  }

  private async openStream(): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true }).catch(() => {});
    try {
      const st = await stat(this.file);
      this.rotatable = st.isFile();
      this.size = st.isFile() ? st.size : 0;
      this.day = dayKey(st.size > 0 ? st.mtimeMs : this.now());
    } catch {
      this.rotatable = true;
      this.size = 0;
      this.day = dayKey(this.now());
    }
    const stream = this.open(this.file);
    stream.on('error', (err?: Error) => {
      // Disk full, file or folder removed: drop this stream; queued lines wait
      // (bounded) and the file is reopened after retryMs.
      if (this.stream === stream) {
        this.stream = undefined;
        this.streamFailed = true;
      }
      this.onError(err ?? new Error(`${this.file}: write failed`));
      stream.destroy();
    });
    this.stream = stream;
  }

  private waitDrain(stream: LogSink): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        stream.off('drain', done);
        stream.off('close', done);
        stream.off('error', done);
        resolve();
      };
      if (stream.destroyed) return resolve();
      stream.on('drain', done);
      stream.on('close', done);
      stream.on('error', done);
    });
  }

  private waitInflight(): Promise<void> {
    if (this.inflightBytes === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private onIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
    // Drops that happened while the stream held everything: report them now
    // that it has caught up, without waiting for the next line.
    if (this.pendingDropLines > 0 && this.queue.length === 0 && !this.pumping && !this.closed) this.reportDrops();
  }

  private async endStream(): Promise<void> {
    const stream = this.stream;
    this.stream = undefined;
    if (!stream || stream.destroyed) return;
    await new Promise<void>((resolve) => {
      stream.once('error', () => resolve());
      stream.end(() => resolve());
    });
  }

  private async rotate(): Promise<void> {
    await this.endStream();
    const { dir, stem, ext } = splitName(this.file);
    const base = `${stem}__${stamp(this.now())}`;
    let target = path.join(dir, `${base}${ext}`);
    for (let n = 1; await exists(target) || (await exists(`${target}.gz`)); n++) target = path.join(dir, `${base}_${n}${ext}`);
    try {
      await rename(this.file, target);
      this.s.rotations++;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.onError(err as Error);
    }
    this.size = 0;
    this.day = dayKey(this.now());
    const r = this.rotateOpts!;
    if (r.gzip) {
      // Compression runs beside new writes; pruning waits for it so counts stay exact.
      this.background = this.background
        .then(() => (exists(target).then((e) => (e ? gzipFile(target, this.fileMode) : undefined))))
        .catch((err: Error) => this.onError(err))
        .then(() => this.prune());
    } else {
      this.background = this.background.then(() => this.prune());
    }
  }

  private async prune(): Promise<void> {
    const keep = this.rotateOpts?.keep ?? Infinity;
    const files = await listRotatedAll(this.file);
    const keys = [...new Set(files.map((f) => f.key))].sort();
    const remove = new Set(keys.slice(0, Math.max(0, keys.length - keep)));
    await Promise.all(files.filter((f) => remove.has(f.key)).map((f) => unlink(f.path).catch(() => {})));
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}
