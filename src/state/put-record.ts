// A put's log record encoded into one reused buffer, the set path's form:
// `<crc32 hex> {"r":rev,"k":key,"v":version,"d":value}\n`, byte for byte what
// file-backend.ts's record(changeJson(put)) writes: the JSON text is written
// once as UTF-8 and the checksum and its hex made on the bytes, without the
// record's string (checksum over its UTF-16 text, hex string, padStart, the
// record's concatenation, its UTF-8 copy in writeSync, Buffer.byteLength of
// it to count its bytes): about half the JS of a record (measured warm, in
// one process, interleaved). In place (the master woken by each set) that
// string work cost about as much as the write(2) itself (issue 12: a master
// that skipped only the write was ~4 µs a set below one that wrote, and
// ~4 µs above the memory backend).
import type { Stored } from './wire.js';
import { crc32Bytes } from './crc32.js';

/** Records up to this size are encoded here; larger ones (big values) keep the string path. */
const MAX_BYTES = 16 * 1024;
const HEX = Buffer.from('0123456789abcdef');

/** A put's JSON in the log, the one form both the string path (file-backend.ts) and this buffer write. */
export function putJson(e: Stored): string {
  return `{"r":${e.rev},"k":${JSON.stringify(e.key)},"v":${e.version},"d":${e.json}}`;
}

export class PutRecords {
  private readonly buf = Buffer.allocUnsafe(MAX_BYTES);

  /**
   * The record of e in this object's buffer: its length in bytes, or -1 when
   * it may not fit (the caller writes it as a string). The bytes stay valid
   * until the next call.
   */
  encode(e: Stored): number {
    const json = putJson(e);
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (10 + 3 * json.length > MAX_BYTES) return -1;
    const buf = this.buf;
    let at = 9 + buf.write(json, 9);
    const crc = crc32Bytes(buf, 9, at);
    for (let i = 7, c = crc; i >= 0; i--, c >>>= 4) buf[i] = HEX[c & 0xf]!;
    buf[8] = 0x20;
    buf[at++] = 0x0a;
    return at;
  }

  get bytes(): Buffer {
    return this.buf;
  }
}
