// stateBackend 'file' (the default): an append-only log in the app's state
// directory, one record a line: `<crc32 hex> <json>`.
//
// Durability: each change is written (write(2), synchronously) before the
// write is acknowledged, so it is in the kernel's page cache and survives a
// SIGKILL or crash of the master. The log is fdatasync'ed at most 1 s after a
// change (not per write: that would cost a disk flush per set), so a power
// loss or kernel crash can lose the changes of the last second, acknowledged
// or not.
//
// Load: records are checked against their checksum; the first bad or torn
// record (a write cut by a power loss) ends the log: it and what follows are
// cut off, and the master logs how many bytes were dropped.
//
// Compaction: once the log is 4 MiB and more than twice the live data, the
// live entries are written to a new file (fsync'ed, renamed over the log,
// directory fsync'ed): a crash at any point leaves either the old or the new log.
import fs from 'node:fs';
import path from 'node:path';
import type { Loaded, Persistence } from './backend.js';
import { crc32Text } from './crc32.js';
import { PutRecords, putJson } from './put-record.js';
import type { Change, Stored } from './wire.js';

const SYNC_DELAY_MS = 1_000;
const COMPACT_MIN_BYTES = 4 * 1024 * 1024;

function record(json: string): string {
  return `${crc32Text(json).toString(16).padStart(8, '0')} ${json}\n`;
}

function changeJson(c: Change): string {
  return c.type === 'put' ? putJson(c.entry) : `{"r":${c.rev},"k":${JSON.stringify(c.key)},"x":1}`;
}

function changeRecord(c: Change): string {
  return record(changeJson(c));
}

export interface FileBackendEvents {
  /** Bytes cut off a damaged log at load. */
  readonly truncated?: (file: string, droppedBytes: number, atByte: number) => void;
  readonly compactFailed?: (file: string, err: Error) => void;
}

export function fileBackend(dir: string, live: () => Iterable<Stored>, events: FileBackendEvents = {}): Persistence {
  const file = path.join(dir, 'state.log');
  let fd: number | undefined;
  let size = 0;
  let liveBytes = 0;
  let rev = 0;
  const keyBytes = new Map<string, number>();
  let syncTimer: NodeJS.Timeout | undefined;
  const puts = new PutRecords();

  const sync = () => {
    syncTimer = undefined;
    if (fd !== undefined) fs.fdatasync(fd, () => {});
  };

  function load(): Loaded {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    let text = '';
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const entries = new Map<string, Stored>();
    let good = 0;
    while (good < text.length) {
      const nl = text.indexOf('\n', good);
      if (nl < 0) break;
      const line = text.slice(good, nl);
      const json = line.slice(9);
      let r: { r?: number; h?: number; k?: string; v?: number; d?: unknown; x?: number };
      try {
        if (line[8] !== ' ' || parseInt(line.slice(0, 8), 16) !== crc32Text(json)) break;
        r = JSON.parse(json);
      } catch {
        break;
      }
      if (typeof r.h === 'number') rev = Math.max(rev, r.h);
      if (typeof r.r === 'number' && typeof r.k === 'string') {
        rev = Math.max(rev, r.r);
        const bytes = Buffer.byteLength(line) + 1;
        liveBytes -= keyBytes.get(r.k) ?? 0;
        if (r.x) {
          entries.delete(r.k);
          keyBytes.delete(r.k);
        } else {
          entries.set(r.k, { key: r.k, json: JSON.stringify(r.d), version: r.v ?? 1, rev: r.r });
          keyBytes.set(r.k, bytes);
          liveBytes += bytes;
        }
      }
      good = nl + 1;
    }
    const goodBytes = Buffer.byteLength(text.slice(0, good));
    const totalBytes = Buffer.byteLength(text);
    fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_APPEND, 0o600);
    if (goodBytes < totalBytes) {
      fs.ftruncateSync(fd, goodBytes);
      events.truncated?.(file, totalBytes - goodBytes, goodBytes);
    }
    size = goodBytes;
    return { entries: entries.values(), rev };
  }

  /** The write path's form: the record as one string in one writeSync (no Buffer made in JS); a short write is finished. Its size in bytes. */
  function appendRecord(target: number, line: string): number {
    const n = fs.writeSync(target, line);
    const bytes = Buffer.byteLength(line);
    if (n < bytes) writeAll(target, Buffer.from(line).subarray(n));
    return bytes;
  }

  /** A put's record from the reused buffer (put-record.ts) in one writeSync, or as a string when it is large. */
  function appendPut(target: number, e: Stored): number {
    const bytes = puts.encode(e);
    if (bytes < 0) return appendRecord(target, changeRecord({ type: 'put', entry: e }));
    const n = fs.writeSync(target, puts.bytes, 0, bytes);
    // The rest of a short write is copied: writeAll may not return before the buffer is reused.
    if (n < bytes) writeAll(target, Buffer.from(puts.bytes.subarray(n, bytes)));
    return bytes;
  }

  function writeAll(target: number, data: string | Buffer): void {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    let off = 0;
    while (off < buf.length) off += fs.writeSync(target, buf, off);
  }

  function compact(): void {
    const tmp = `${file}.tmp`;
    const out = fs.openSync(tmp, 'w', 0o600);
    let bytes = 0;
    keyBytes.clear();
    try {
      let chunk = record(`{"h":${rev}}`);
      for (const e of live()) {
        const line = changeRecord({ type: 'put', entry: e });
        const n = Buffer.byteLength(line);
        keyBytes.set(e.key, n);
        bytes += n;
        chunk += line;
        if (chunk.length > 1 << 20) {
          writeAll(out, chunk);
          chunk = '';
        }
      }
      writeAll(out, chunk);
      fs.fsyncSync(out);
    } finally {
      fs.closeSync(out);
    }
    fs.renameSync(tmp, file);
    const d = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(d);
    } finally {
      fs.closeSync(d);
    }
    fs.closeSync(fd!);
    fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_APPEND);
    size = fs.fstatSync(fd).size;
    liveBytes = bytes;
  }

  function compactIfDue(): void {
    if (fd === undefined || size <= COMPACT_MIN_BYTES || size <= 2 * liveBytes) return;
    try {
      compact();
    } catch (err) {
      // The old log is intact until the rename; appends go on there (or fail, and writes report it).
      events.compactFailed?.(file, err as Error);
    }
  }

  return {
    kind: 'local',
    load,
    append(c: Change): void {
      if (fd === undefined) throw new Error('the state log is not open');
      const n = c.type === 'put' ? appendPut(fd, c.entry) : appendRecord(fd, changeRecord(c));
      size += n;
      rev = c.type === 'put' ? c.entry.rev : c.rev;
      const key = c.type === 'put' ? c.entry.key : c.key;
      liveBytes -= keyBytes.get(key) ?? 0;
      if (c.type === 'put') {
        keyBytes.set(key, n);
        liveBytes += n;
      } else {
        keyBytes.delete(key);
      }
      if (syncTimer === undefined) {
        syncTimer = setTimeout(sync, SYNC_DELAY_MS);
        syncTimer.unref?.();
      }
      // live() is the master's table, which gets this change after append returns: compact on the next turn.
      if (size > COMPACT_MIN_BYTES && size > 2 * liveBytes) queueMicrotask(compactIfDue);
    },
    close(): void {
      clearTimeout(syncTimer);
      if (fd === undefined) return;
      try {
        fs.fdatasyncSync(fd);
      } finally {
        fs.closeSync(fd);
        fd = undefined;
      }
    },
  };
}
