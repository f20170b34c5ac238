// The messaging envelope {ch, v, kind, seq, ack?, to, from, topic} and its
// validation. On the wire it is the fixed binary header of frame.ts; here it
// is read back and checked field by field, so a malformed frame is rejected
// with a reason before anything acts on it (and a hostile one never crashes
// the master).
import { isUtf8 } from 'node:buffer';
import { DroverError } from '../errors.js';
import { FLAG_BYTES, FLAG_JSON, FLAG_PAYLOAD, FLAG_TEXT, HEADER_BYTES, KNOWN_FLAGS, Kind, MAGIC, MAX_TOPIC_BYTES, kindName, type KindCode } from './frame.js';

/** Where a message goes: the master, every worker, the agent, or one worker by its id (DROVER_WORKER_ID). */
export type Address = 'master' | 'workers' | 'agent' | number;

/** Addresses on the wire: worker ids are >= 0, the special ones negative. */
export const ADDR_MASTER = -1;
export const ADDR_WORKERS = -2;
export const ADDR_AGENT = -3;
/** No address (control frames, publish). */
export const ADDR_NONE = -4;

/** Worker ids are slots 0..N-1; anything this large is a bug or an attack. */
export const MAX_WORKER_ID = 1 << 20;

export function encodeAddress(to: unknown): number {
  if (to === 'master') return ADDR_MASTER;
  if (to === 'workers') return ADDR_WORKERS;
  if (to === 'agent') return ADDR_AGENT;
  if (typeof to === 'number' && Number.isInteger(to) && to >= 0 && to < MAX_WORKER_ID) return to;
  if (typeof to === 'string' && /^\d+$/.test(to) && Number(to) < MAX_WORKER_ID) return Number(to);
  throw new DroverError(
    'DROVER_E_MSG_INVALID',
    `invalid address ${describeValue(to)}: use 'master', 'workers', 'agent' or a worker id (a whole number, as in DROVER_WORKER_ID)`,
  );
}

export function decodeAddress(n: number): Address {
  if (n >= 0) return n;
  if (n === ADDR_MASTER) return 'master';
  if (n === ADDR_WORKERS) return 'workers';
  if (n === ADDR_AGENT) return 'agent';
  return 'master';
}

export function describeAddress(n: number): string {
  if (n >= 0) return `worker ${n}`;
  if (n === ADDR_MASTER) return 'the master';
  if (n === ADDR_WORKERS) return 'the workers';
  if (n === ADDR_AGENT) return 'the agent';
  return 'nobody';
}

export function checkTopic(topic: unknown): string {
  if (typeof topic !== 'string' || topic.length === 0) {
    throw new DroverError('DROVER_E_MSG_INVALID', `invalid topic ${describeValue(topic)}: a topic is a non-empty string`);
  }
  if (topic.length > MAX_TOPIC_BYTES && Buffer.byteLength(topic) > MAX_TOPIC_BYTES) {
    throw new DroverError('DROVER_E_MSG_INVALID', `topic ${JSON.stringify(topic.slice(0, 40))}… is longer than ${MAX_TOPIC_BYTES} bytes`);
  }
  return topic;
}

function describeValue(x: unknown): string {
  if (typeof x === 'string') return JSON.stringify(x.slice(0, 60));
  if (typeof x === 'number' || typeof x === 'boolean' || x === null || x === undefined) return String(x);
  return typeof x;
}

export type KindName = keyof typeof Kind;

/** A validated frame header. */
export interface Envelope {
  readonly ch: 'msg';
  readonly v: 1;
  readonly kind: KindCode;
  readonly flags: number;
  readonly seq: number;
  /** The seq answered, for reply/error/ack/nack; for a request its timeout in ms (0: none). */
  readonly ack: number;
  readonly to: number;
  readonly from: number;
  readonly topic: string;
  readonly payloadOffset: number;
}

export type ParseResult = { readonly ok: true; readonly envelope: Envelope } | { readonly ok: false; readonly error: string };

/** Kinds as bits (1 << kind): parsed for every frame, so a bit test rather than a Set lookup. */
export const kindBits = (...kinds: number[]): number => kinds.reduce((m, k) => m | (1 << k), 0);
/** Kinds that carry a topic, and those that must not. */
const NEEDS_TOPIC = kindBits(Kind.hello, Kind.send, Kind.request, Kind.sub, Kind.unsub, Kind.publish);
const NEEDS_SEQ = kindBits(Kind.send, Kind.request, Kind.publish, Kind.state);
const NEEDS_ACK = kindBits(Kind.reply, Kind.error, Kind.ack, Kind.nack);
const NEEDS_TO = kindBits(Kind.send, Kind.request, Kind.state);
const ANY_KIND = -1;

/**
 * Validates a whole frame (length prefix included, as FrameReader yields it).
 * `allowed`: the kinds the receiving side accepts from this peer.
 */
export function parseEnvelope(frame: Buffer, allowed?: ReadonlySet<number>): ParseResult {
  const r = readEnvelope(frame, allowed ? kindBits(...allowed) : ANY_KIND);
  return typeof r === 'string' ? { ok: false, error: r } : { ok: true, envelope: r };
}

/**
 * parseEnvelope for the read loops: the envelope, or why the frame is
 * malformed; `allowed` as bits (kindBits). No result wrapper, and a topic
 * read before is not decoded again (topicOf).
 */
export function readEnvelope(frame: Buffer, allowed: number): Envelope | string {
  if (frame.length < HEADER_BYTES) return `frame of ${frame.length} bytes is shorter than the ${HEADER_BYTES}-byte header`;
  if (frame.readUInt32BE(0) !== frame.length - 4) return 'length prefix does not match the frame';
  if (frame[4] !== MAGIC) return `bad magic byte 0x${frame[4]!.toString(16)}: not a drover messaging frame, or an unsupported version`;
  const kind = frame[5]!;
  if (kind < Kind.hello || kind > Kind.state) return `unknown kind ${kind}`;
  const bit = 1 << kind;
  if ((allowed & bit) === 0) return `kind ${kindName(kind)} is not accepted from this peer`;
  const flags = frame[6]!;
  if ((flags & ~KNOWN_FLAGS) !== 0) return `unknown flags 0x${flags.toString(16)}`;
  const topicBytes = frame[7]!;
  const payloadOffset = HEADER_BYTES + topicBytes;
  if (payloadOffset > frame.length) return 'topic runs past the end of the frame';
  const seq = frame.readUInt32BE(8);
  const ack = frame.readUInt32BE(12);
  const to = frame.readInt32BE(16);
  const from = frame.readInt32BE(20);
  if ((NEEDS_TOPIC & bit) !== 0 !== topicBytes > 0) return `${kindName(kind)}: ${topicBytes > 0 ? 'must not have' : 'needs'} a topic`;
  if ((NEEDS_SEQ & bit) !== 0 && seq === 0) return `${kindName(kind)}: seq must not be 0`;
  if ((NEEDS_ACK & bit) !== 0 && ack === 0) return `${kindName(kind)}: ack must not be 0`;
  if ((NEEDS_TO & bit) !== 0 ? !(to >= ADDR_AGENT && to < MAX_WORKER_ID) : to !== ADDR_NONE && !(to >= ADDR_AGENT && to < MAX_WORKER_ID)) {
    return `${kindName(kind)}: invalid address ${to}`;
  }
  if (!(from >= ADDR_NONE && from < MAX_WORKER_ID)) return `invalid sender address ${from}`;
  const topic = topicBytes > 0 ? topicOf(frame, payloadOffset) : '';
  if (topic === undefined) return 'topic is not valid UTF-8';
  if ((flags & FLAG_PAYLOAD) === 0 && (payloadOffset !== frame.length || flags !== 0)) return 'bytes or encoding flags on a frame without payload';
  const encodings = (flags & FLAG_JSON ? 1 : 0) + (flags & FLAG_TEXT ? 1 : 0) + (flags & FLAG_BYTES ? 1 : 0);
  if (encodings > 1) return `contradictory payload flags 0x${flags.toString(16)}`;
  return { ch: 'msg', v: 1, kind: kind as KindCode, flags, seq, ack, to, from, topic, payloadOffset };
}

/**
 * Topics seen lately, by their bytes: a process uses a few topics over and
 * over, and comparing up to 64 bytes is cheaper than checking and decoding
 * UTF-8 into a new string per frame. Direct-mapped by length and last byte.
 */
const TOPIC_CACHE_SIZE = 16;
const TOPIC_CACHE_MAX_BYTES = 64;
const cachedBytes: (Buffer | undefined)[] = new Array(TOPIC_CACHE_SIZE).fill(undefined);
const cachedTopics: string[] = new Array(TOPIC_CACHE_SIZE).fill('');

/** The topic in frame[HEADER_BYTES, end), or undefined when it is not valid UTF-8. */
function topicOf(frame: Buffer, end: number): string | undefined {
  const n = end - HEADER_BYTES;
  if (n > TOPIC_CACHE_MAX_BYTES) {
    const view = frame.subarray(HEADER_BYTES, end);
    return isUtf8(view) ? view.toString('utf8') : undefined;
  }
  const slot = (n + frame[end - 1]!) & (TOPIC_CACHE_SIZE - 1);
  const known = cachedBytes[slot];
  if (known !== undefined && known.length === n) {
    let i = 0;
    while (i < n && known[i] === frame[HEADER_BYTES + i]) i++;
    if (i === n) return cachedTopics[slot];
  }
  const view = frame.subarray(HEADER_BYTES, end);
  if (!isUtf8(view)) return undefined;
  const topic = view.toString('utf8');
  cachedBytes[slot] = Buffer.from(view);
  cachedTopics[slot] = topic;
  return topic;
}
