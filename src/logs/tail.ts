// Reading logs back for `drover logs --lines N --follow`, in bounded memory:
// the file is read backwards in blocks until N lines are found, and following
// reads forward block by block, awaiting the consumer, so a slow reader
// (a stalled terminal or socket) leaves the data on disk instead of in memory.
import { open, stat, type FileHandle } from 'node:fs/promises';

const BLOCK = 64 * 1024;

export interface TailOptions {
  /** A line longer than this is cut (keeping its end). Default 64 KiB. */
  readonly maxLineBytes?: number;
}

/** The last n lines of the file handle's first `end` bytes. */
async function tailOfHandle(fh: FileHandle, end: number, n: number, maxLine: number): Promise<string[]> {
  if (n <= 0 || end === 0) return [];
  const blocks: Buffer[] = [];
  let pos = end;
  let newlines = 0;
  let bytes = 0;
  // A trailing newline ends the last line; it does not start an empty one.
  let skipLast = true;
  const limit = n * maxLine + BLOCK;
  while (pos > 0 && newlines <= n && bytes < limit) {
    const size = Math.min(BLOCK, pos);
    pos -= size;
    const buf = Buffer.alloc(size);
    await fh.read(buf, 0, size, pos);
    for (let i = size - 1; i >= 0; i--) {
      if (buf[i] !== 0x0a) continue;
      if (skipLast && pos + i === end - 1) continue;
      newlines++;
    }
    skipLast = false;
    blocks.unshift(buf);
    bytes += size;
  }
  let text = Buffer.concat(blocks).toString('utf8');
  if (text.endsWith('\n')) text = text.slice(0, -1);
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  // Stopped by the byte limit: the first line's start was not read; it is shown as "…<end>".
  const fragment = pos > 0 && newlines <= n && lines.length <= n;
  return lines.slice(-n).map((l, i) => {
    if (fragment && i === 0) return `…${l.slice(-(maxLine - 1))}`;
    return l.length > maxLine ? l.slice(0, maxLine) : l;
  });
}

/** The last n lines of a file ([] when it does not exist). */
export async function tailLines(file: string, n: number, options: TailOptions = {}): Promise<string[]> {
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  try {
    const { size } = await fh.stat();
    return await tailOfHandle(fh, size, n, options.maxLineBytes ?? 64 * 1024);
  } finally {
    await fh.close();
  }
}

export interface FollowOptions extends TailOptions {
  /** Start with the last N lines (read from the same handle, so none is missed or repeated). Default 0. */
  readonly lines?: number;
  /** Read from the beginning instead of the end. */
  readonly fromStart?: boolean;
  /** How often the file is checked for growth and rotation. Default 250 ms. */
  readonly pollMs?: number;
  readonly onError?: (err: Error) => void;
}

export interface Follower {
  /** Stops following; resolves once no more onLine calls will happen. */
  close(): Promise<void>;
}

/**
 * Calls onLine for every line appended to file, following it across
 * rotation (the file renamed and a new one created) and truncation. If onLine
 * returns a promise, reading waits for it.
 */
export function follow(file: string, onLine: (line: string) => void | Promise<void>, options: FollowOptions = {}): Follower {
  const pollMs = options.pollMs ?? 250;
  const maxLine = options.maxLineBytes ?? 64 * 1024;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  let fh: FileHandle | undefined;
  let ino = -1;
  let pos = 0;
  let partial: Buffer = Buffer.alloc(0);

  const emit = async (raw: Buffer): Promise<void> => {
    let s = raw.toString('utf8');
    if (s.endsWith('\r')) s = s.slice(0, -1);
    await onLine(s);
  };

  /** Reads from pos to the end of the handle. */
  const drain = async (): Promise<void> => {
    const buf = Buffer.alloc(BLOCK);
    while (fh && !closed) {
      const { bytesRead } = await fh.read(buf, 0, BLOCK, pos);
      if (bytesRead === 0) return;
      pos += bytesRead;
      let data = partial.length ? Buffer.concat([partial, buf.subarray(0, bytesRead)]) : buf.subarray(0, bytesRead);
      let start = 0;
      for (;;) {
        const nl = data.indexOf(0x0a, start);
        if (nl === -1) break;
        await emit(data.subarray(start, nl));
        if (closed) return;
        start = nl + 1;
      }
      if (data.length - start > maxLine) {
        await emit(data.subarray(start));
        start = data.length;
      }
      partial = Buffer.from(data.subarray(start));
      data = Buffer.alloc(0);
    }
  };

  const openCurrent = async (first: boolean): Promise<boolean> => {
    let handle: FileHandle;
    try {
      handle = await open(file, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') options.onError?.(err as Error);
      return false;
    }
    const st = await handle.stat();
    fh = handle;
    ino = st.ino;
    partial = Buffer.alloc(0);
    if (first && !options.fromStart) {
      pos = st.size;
      if (options.lines) for (const line of await tailOfHandle(handle, st.size, options.lines, maxLine)) await onLine(line);
    } else pos = 0;
    return true;
  };

  const tick = async (): Promise<void> => {
    if (!fh) {
      // The first open may find no file yet (an app that has not logged).
      if (!(await openCurrent(ino === -1))) return;
    }
    await drain();
    if (closed) return;
    let st;
    try {
      st = await stat(file);
    } catch {
      return; // renamed away and not yet recreated: keep reading the old handle
    }
    if (st.ino !== ino) {
      await drain(); // whatever the writer added before the rename
      if (partial.length) await emit(partial);
      await fh?.close();
      fh = undefined;
      if (await openCurrent(false)) await drain();
    } else if (st.size < pos) {
      pos = 0; // truncated by someone else
      partial = Buffer.alloc(0);
      await drain();
    }
  };

  const done = (async () => {
    while (!closed) {
      try {
        await tick();
      } catch (err) {
        options.onError?.(err as Error);
      }
      if (closed) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, pollMs);
      });
    }
    await fh?.close().catch(() => {});
  })();

  return {
    async close() {
      closed = true;
      clearTimeout(timer);
      wake?.();
      await done;
    },
  };
}
