// Length-prefixed binary frames on the message hub's unix socket.
//
//   offset size
//    0     4   u32 BE  length of everything after this field
//    4     1   u8      magic 0xD1: channel "drover messaging", version 1
//    5     1   u8      kind (Kind below)
//    6     1   u8      flags (FLAG_*)
//    7     1   u8      topic length in bytes (0..255)
//    8     4   u32 BE  seq: the sender's sequence number
//   12     4   u32 BE  ack: the seq answered (reply, error, ack, nack); for a request its timeout in ms (0: none)
//   16     4   i32 BE  to: worker id >= 0, or one of the special addresses (envelope.ts)
//   20     4   i32 BE  from: set by the hub from the authenticated connection, never trusted from the sender
//   24     n   topic, UTF-8
//   24+n   …   payload, absent (undefined) without FLAG_PAYLOAD; its encoding by flag:
//               FLAG_TEXT  a string, as UTF-8          FLAG_BYTES  a Buffer, its bytes
//               FLAG_JSON  UTF-8 JSON                  none        v8 serialisation
//
// A fixed binary header lets the hub route a frame by reading five integers,
// and forward the very same bytes without decoding (or even copying) the
// payload: a 64 KB message costs the master one read and one write.
import { createRequire } from 'node:module';
import type v8Module from 'node:v8';
import { DroverError } from '../errors.js';
import { isJsonExact } from './json-exact.js';

// node:v8 loads at the first frame that needs it (a payload JSON cannot carry
// exactly): an idle app master loads frame.ts with the hub's front and would
// otherwise hold v8's module (~0.3 MB on Node 24) for nothing (issue 17).
// createRequire: this file is built both as ES module and as CommonJS, and
// node:module is loaded by Node's bootstrap anyway.
let v8Loaded: typeof v8Module | undefined;
const v8 = (): typeof v8Module => (v8Loaded ??= createRequire(process.execPath)('node:v8') as typeof v8Module);

export const MAGIC = 0xd1;
export const HEADER_BYTES = 24;
export const MAX_TOPIC_BYTES = 255;
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export const FLAG_JSON = 1;
export const FLAG_PAYLOAD = 2;
export const FLAG_TEXT = 4;
export const FLAG_BYTES = 8;
export const KNOWN_FLAGS = FLAG_JSON | FLAG_PAYLOAD | FLAG_TEXT | FLAG_BYTES;

export const Kind = {
  /** process → hub: first frame, topic = the token from the environment. */
  hello: 1,
  /** hub → process: authenticated; `to` = the process's own address. */
  welcome: 2,
  send: 3,
  request: 4,
  reply: 5,
  /** A failed request: payload is JSON {code, message, remote?}. */
  error: 6,
  sub: 7,
  unsub: 8,
  publish: 9,
  /** hub → process: every send with seq <= ack has been routed (cumulative). */
  ack: 10,
  /** hub → process: the send with seq = ack was refused; payload JSON {code, message}. */
  nack: 11,
  /** hub → process: the connection is being closed; payload JSON {code, message}. */
  fatal: 12,
  /**
   * process → master: a request of the shared state store (src/state), its text as payload; ack = its timeout
   * in ms. The master's state handler answers it from the hub's read loop with a reply frame (ack = seq), with
   * no topic, handler table or serialiser in between: a worker's set() is one frame each way.
   */
  state: 13,
} as const;
export type KindCode = (typeof Kind)[keyof typeof Kind];

const KIND_NAMES: readonly string[] = (() => {
  const names: string[] = [];
  for (const [name, code] of Object.entries(Kind)) names[code] = name;
  return names;
})();

export function kindName(kind: number): string {
  return KIND_NAMES[kind] ?? `unknown(${kind})`;
}

export type Serialization = 'v8' | 'json';

export interface FrameFields {
  readonly kind: KindCode;
  readonly seq: number;
  readonly ack: number;
  readonly to: number;
  readonly from: number;
  readonly topic: string;
}

function writeHeader(buf: Buffer, f: FrameFields, flags: number, topicBytes: number): void {
  buf.writeUInt32BE(buf.length - 4, 0);
  buf[4] = MAGIC;
  buf[5] = f.kind;
  buf[6] = flags;
  buf[7] = topicBytes;
  buf.writeUInt32BE(f.seq >>> 0, 8);
  buf.writeUInt32BE(f.ack >>> 0, 12);
  buf.writeInt32BE(f.to | 0, 16);
  buf.writeInt32BE(f.from | 0, 20);
  if (topicBytes > 0) buf.write(f.topic, HEADER_BYTES, 'utf8');
}

function topicLength(topic: string): number {
  const n = topic.length === 0 ? 0 : Buffer.byteLength(topic, 'utf8');
  if (n > MAX_TOPIC_BYTES) throw new DroverError('DROVER_E_MSG_INVALID', `topic ${JSON.stringify(topic.slice(0, 40))}… is ${n} bytes long: at most ${MAX_TOPIC_BYTES}`);
  return n;
}

function tooLarge(bytes: number, max: number): DroverError {
  return new DroverError(
    'DROVER_E_MSG_TOO_LARGE',
    `message of ${bytes} bytes exceeds the maximum message size of ${max} bytes: send less per message, or raise maxMessageBytes`,
    { bytes, max },
  );
}

function notSerialisable(err: unknown, mode: Serialization): DroverError {
  const why = err instanceof Error ? err.message : String(err);
  return new DroverError(
    'DROVER_E_MSG_SERIALIZE',
    `payload cannot be serialised (${mode}): ${why}; send plain data (structured-clone types${mode === 'json' ? ', JSON types only in JSON mode' : ''})`,
  );
}

/** A frame without payload (control frames, or an undefined payload). */
export function encodeEmpty(f: FrameFields): Buffer {
  const t = topicLength(f.topic);
  const buf = Buffer.allocUnsafe(HEADER_BYTES + t);
  writeHeader(buf, f, 0, t);
  return buf;
}

/** A frame whose payload is a string sent as UTF-8 (FLAG_TEXT); the caller knows it is well-formed UTF-16 (JSON text is). */
export function encodeTextFrame(f: FrameFields, text: string, maxPayloadBytes = DEFAULT_MAX_MESSAGE_BYTES, alloc?: FrameAlloc): Buffer {
  return encodeText(f, text, FLAG_TEXT, maxPayloadBytes, alloc);
}

/** A frame whose payload is JSON text (errors, nacks, and JSON payloads). */
export function encodeJson(f: FrameFields, text: string, maxPayloadBytes = DEFAULT_MAX_MESSAGE_BYTES): Buffer {
  return encodeText(f, text, FLAG_JSON, maxPayloadBytes);
}

// The frame of a string is sized for one byte per UTF-16 unit and written in
// one pass; only a string that does not fit (non-ASCII) is measured, from where
// the write stopped. Buffer.byteLength scans the whole string first: 9 µs per
// 64 KB on Node 24 (any string) and on Node 20 (a sliced string, as
// String#slice makes), against 1-3 µs for the write itself (issue 17).
const utf8 = new TextEncoder();

/** Where a frame's memory comes from: Buffer.allocUnsafe, or a pool of reused memory (send-pool.ts). */
export type FrameAlloc = (size: number) => Buffer;

function encodeText(f: FrameFields, text: string, kindFlag: number, maxPayloadBytes: number, alloc: FrameAlloc = Buffer.allocUnsafe): Buffer {
  const t = topicLength(f.topic);
  const at = HEADER_BYTES + t;
  // UTF-8 takes at least one byte per UTF-16 unit.
  if (text.length > maxPayloadBytes) throw tooLarge(Buffer.byteLength(text, 'utf8'), maxPayloadBytes);
  let buf = alloc(at + text.length);
  const { read, written } = utf8.encodeInto(text, buf.subarray(at));
  if (read < text.length) {
    // Not ASCII: the rest's length decides the frame's; what was written is kept.
    const rest = text.slice(read);
    const n = written + Buffer.byteLength(rest, 'utf8');
    if (n > maxPayloadBytes) throw tooLarge(n, maxPayloadBytes);
    const whole = alloc(at + n);
    buf.copy(whole, at, at, at + written);
    whole.write(rest, at + written, 'utf8');
    buf = whole;
  }
  writeHeader(buf, f, kindFlag | FLAG_PAYLOAD, t);
  return buf;
}

/**
 * Encodes header and payload into one buffer. Throws DroverError (TOO_LARGE,
 * SERIALIZE, INVALID).
 *
 * mode 'v8' keeps structured-clone semantics (Map, Set, Date, BigInt, typed
 * arrays, Buffer, undefined, -0, cycles and shared references survive); mode
 * 'json' is JSON semantics. In both, a string travels as its UTF-8 bytes, and
 * in v8 mode a Buffer as its bytes: exact, and no serialiser at all (a 64 KB
 * string costs ~40 µs to encode and decode instead of ~650 µs for 64 KB of
 * records through v8). In 'v8' mode, plain data that JSON encodes exactly
 * (json-exact.ts) travels as JSON: about half the cost for records, and the
 * receiver decodes by the frame's flag, whatever its own mode. alloc: where
 * the memory of a text, JSON or bytes frame comes from (v8's serializer
 * allocates its own).
 */
export function encodeFrame(f: FrameFields, payload: unknown, mode: Serialization, maxPayloadBytes = DEFAULT_MAX_MESSAGE_BYTES, alloc: FrameAlloc = Buffer.allocUnsafe): Buffer {
  if (payload === undefined) return encodeEmpty(f);
  // Lone surrogates do not survive UTF-8; JSON escapes them, v8 keeps UTF-16.
  if (typeof payload === 'string' && isWellFormed(payload)) return encodeText(f, payload, FLAG_TEXT, maxPayloadBytes, alloc);
  if (mode === 'json' || jsonExact(payload)) {
    let text: string | undefined;
    try {
      text = JSON.stringify(payload);
    } catch (err) {
      throw notSerialisable(err, 'json');
    }
    if (text === undefined) throw notSerialisable(new TypeError(`${typeof payload} is not JSON`), 'json');
    return encodeText(f, text, FLAG_JSON, maxPayloadBytes, alloc);
  }
  const t = topicLength(f.topic);
  if (Buffer.isBuffer(payload)) {
    if (payload.length > maxPayloadBytes) throw tooLarge(payload.length, maxPayloadBytes);
    const buf = alloc(HEADER_BYTES + t + payload.length);
    writeHeader(buf, f, FLAG_BYTES | FLAG_PAYLOAD, t);
    payload.copy(buf, HEADER_BYTES + t);
    return buf;
  }
  // The header goes into the serializer first, so the payload is not copied once more.
  const head = Buffer.allocUnsafe(HEADER_BYTES + t);
  writeHeader(head, f, FLAG_PAYLOAD, t);
  const ser = new (v8().DefaultSerializer)();
  ser.writeRawBytes(head);
  ser.writeHeader();
  try {
    ser.writeValue(payload);
  } catch (err) {
    throw notSerialisable(err, 'v8');
  }
  const buf = ser.releaseBuffer();
  const payloadBytes = buf.length - head.length;
  if (payloadBytes > maxPayloadBytes) throw tooLarge(payloadBytes, maxPayloadBytes);
  buf.writeUInt32BE(buf.length - 4, 0);
  return buf;
}

/** A getter that throws while we look is v8's to report (it throws again there). */
function jsonExact(payload: unknown): boolean {
  try {
    return isJsonExact(payload);
  } catch {
    return false;
  }
}

/** String.prototype.isWellFormed (Node >= 20; not in this project's ES2023 lib typings). */
const isWellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed();

/** The payload of a validated frame; throws DroverError SERIALIZE when it cannot be decoded. */
export function decodePayload(frame: Buffer, payloadOffset: number): unknown {
  const flags = frame[6]!;
  if ((flags & FLAG_PAYLOAD) === 0) return undefined;
  try {
    if (flags & FLAG_TEXT) return frame.toString('utf8', payloadOffset);
    if (flags & FLAG_JSON) return JSON.parse(frame.toString('utf8', payloadOffset));
    if (flags & FLAG_BYTES) {
      const bytes = frame.subarray(payloadOffset);
      // A view keeps the frame's memory alive: fine when the frame has its own, not when it is a slice of a large read.
      return frame.buffer.byteLength <= 2 * frame.length ? bytes : Buffer.from(bytes);
    }
    return v8().deserialize(frame.subarray(payloadOffset));
  } catch (err) {
    throw new DroverError('DROVER_E_MSG_SERIALIZE', `a message payload could not be decoded: ${(err as Error).message}`);
  }
}

export class FrameTooLargeError extends Error {
  constructor(
    readonly bytes: number,
    readonly max: number,
  ) {
    super(`frame of ${bytes} bytes announced, the limit is ${max}`);
  }
}
