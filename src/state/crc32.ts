// CRC-32 (IEEE) of the state log's records (file-backend.ts), of a string's
// UTF-8 bytes or of bytes in a buffer.
import zlib from 'node:zlib';

/** CRC-32 (IEEE), byte by byte: 256 entries, 1 KiB. */
export const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
    t[n] = c;
  }
  return t;
})();

const crc32: (data: string | Uint8Array) => number =
  typeof (zlib as { crc32?: unknown }).crc32 === 'function' ? (data) => (zlib as unknown as { crc32(d: string | Uint8Array): number }).crc32(data) : crc32Fallback;

function crc32Fallback(data: string | Uint8Array): number {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  return tableCrc(bytes, 0, bytes.length);
}

/** Up to this many characters a record's checksum is computed in JS (below); longer ones by zlib, which is faster per byte. */
const JS_CRC_MAX = 4096;

/**
 * crc32() of a string's UTF-8 bytes. A short ASCII string (a set's record of
 * plain keys and values: the write path's common case) is summed here, one
 * char code per byte: no call into C++, no UTF-8 copy of the string, and a
 * 1 KiB table instead of zlib's larger ones, which matters most when the
 * master handles a set after idling with its caches taken by other processes
 * (measured on the set path: issue 12). Anything else goes to zlib.
 */
export function crc32Text(text: string): number {
  if (text.length > JS_CRC_MAX) return crc32(text);
  let c = ~0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0x7f) return crc32(text);
    c = CRC_TABLE[(c ^ code) & 0xff]! ^ (c >>> 8);
  }
  return ~c >>> 0;
}

/** crc32() of buf[start, end): in JS up to JS_CRC_MAX bytes (the table stays warm for the next record), else zlib. */
export function crc32Bytes(buf: Uint8Array, start: number, end: number): number {
  return end - start > JS_CRC_MAX ? crc32(buf.subarray(start, end)) : tableCrc(buf, start, end);
}

/** CRC-32 of buf[start, end) with the 1 KiB table. */
function tableCrc(buf: Uint8Array, start: number, end: number): number {
  let c = ~0;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
