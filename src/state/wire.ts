// The store's messages, as text. Values are JSON text from end to end: the
// master checks a value once (JSON.parse) and then only splices its text into
// replies, events and log records, so it never re-encodes a value.
//
// Request (client → master), one string: a JSON header, and for `set` a
// newline and the value's JSON text (JSON.stringify never writes a raw newline,
// so the first newline ends the header).
// Reply and event batches (master → client): JSON text.

export interface Stored {
  readonly key: string;
  /** The value as JSON text. */
  readonly json: string;
  readonly version: number;
  readonly rev: number;
}

export type Change = { readonly type: 'put'; readonly entry: Stored } | { readonly type: 'del'; readonly key: string; readonly rev: number };

export type Request =
  | { readonly op: 'get'; readonly key: string }
  /**
   * u: an attempt of update()'s compare-and-set loop (it may wait for its turn on a contended key).
   * n: a success is answered without the entry's value (`{"ok":1,"version":…,"rev":…,"epoch":…}`): the writer
   * has the value already (it sent it); a conflict still carries the current entry in full. A server that
   * does not know n ignores it and answers in full, which the client reads as well.
   */
  | { readonly op: 'set'; readonly key: string; readonly if?: number; readonly u?: 1; readonly n?: 1 }
  | { readonly op: 'del'; readonly key: string; readonly if?: number }
  /** s: the client's session (one per process); since: replay after this rev; reset: answer with a reset, not initial puts. */
  | { readonly op: 'watch'; readonly id: number; readonly p: string; readonly s: string; readonly since?: number; readonly reset?: boolean }
  | { readonly op: 'unwatch'; readonly id: number; readonly s: string }
  | { readonly op: 'list'; readonly p?: string }
  | { readonly op: 'status' };

export const TOPIC_REQUEST = 'drover.state';
export const TOPIC_EVENTS = 'drover.state.ev';

export function entryJson(e: Stored, epoch: number): string {
  return `{"key":${JSON.stringify(e.key)},"version":${e.version},"rev":${e.rev},"epoch":${epoch},"value":${e.json}}`;
}

export function requestText(header: Request, valueJson?: string): string {
  const h = JSON.stringify(header);
  return valueJson === undefined ? h : `${h}\n${valueJson}`;
}

/** requestText() of a set, without building the header object first (the write path's form); bare: the n flag. */
export function setText(key: string, ifVersion: number | undefined, update: boolean, valueJson: string, bare = false): string {
  return `{"op":"set","key":${JSON.stringify(key)}${ifVersion === undefined ? '' : `,"if":${ifVersion}`}${update ? ',"u":1' : ''}${bare ? ',"n":1' : ''}}\n${valueJson}`;
}

/**
 * A bare set's success (flag n), as the server writes it; parseBareSet reads it
 * back without JSON.parse (the writer's path: the worker and the master are of
 * one build, and anything else is read in full).
 */
export function bareSetReply(version: number, rev: number, epoch: number): string {
  return `${BARE_HEAD}${version}${REV_MARK}${rev}${EPOCH_MARK}${epoch}}`;
}

const BARE_HEAD = '{"ok":1,"version":';
const REV_MARK = ',"rev":';
const EPOCH_MARK = ',"epoch":';

/** bareSetReply()'s text as a reply; undefined for anything else (an error, a full reply), which the caller parses as JSON. */
export function parseBareSet(text: string): WireReply | undefined {
  if (!text.startsWith(BARE_HEAD) || text.charCodeAt(text.length - 1) !== 125) return undefined;
  const c = counters(text, BARE_HEAD.length, undefined);
  return c === undefined ? undefined : { ok: 1, version: c.version, rev: c.rev, epoch: c.epoch };
}

/**
 * `<version>,"rev":<rev>,"epoch":<epoch>` read from text[from]: the form both
 * bareSetReply() and entryJson() write. The epoch runs to the first `until`
 * after it (at: where that starts), or to the text's last character when until
 * is undefined. Undefined if any number is missing or not a whole number.
 */
function counters(text: string, from: number, until: string | undefined): { version: number; rev: number; epoch: number; at: number } | undefined {
  const r = text.indexOf(REV_MARK, from);
  const e = r < 0 ? -1 : text.indexOf(EPOCH_MARK, r + REV_MARK.length);
  const at = e < 0 ? -1 : until === undefined ? text.length - 1 : text.indexOf(until, e + EPOCH_MARK.length);
  if (at < 0) return undefined;
  const version = wholeNumber(text, from, r);
  const rev = wholeNumber(text, r + REV_MARK.length, e);
  const epoch = wholeNumber(text, e + EPOCH_MARK.length, at);
  if (version < 0 || rev < 0 || epoch < 0) return undefined;
  return { version, rev, epoch, at };
}

/** The decimal digits text[from, to) as a number; -1 if empty, not all digits, or too long to be exact (over 15 digits). */
function wholeNumber(text: string, from: number, to: number): number {
  if (to <= from || to - from > 15) return -1;
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

const PUT_HEAD = '[{"t":"put","e":{"key":"';
const PUT_VERSION = '","version":';
const PUT_VALUE = ',"value":';

/**
 * A batch of one untagged put, as the server writes it (eventText in
 * server.ts: `[{"t":"put","e":` entryJson `}]`), read without JSON.parse of
 * its wrapper: the push path of a watched key, one change per batch. Only the
 * value is parsed. Undefined for anything else, which the caller parses in
 * full: a key with an escape (its JSON text is then not the string), a tagged
 * or delete event, and a batch of several events (its "value" text then runs
 * on past the first entry's value, which JSON.parse refuses: a value from
 * JSON.stringify is complete, so what follows it is an error).
 */
export function parsePutBatch(text: string): WireEntry | undefined {
  if (!text.startsWith(PUT_HEAD) || !text.endsWith('}}]')) return undefined;
  const start = PUT_HEAD.length;
  const end = text.indexOf('"', start);
  if (end < 0) return undefined;
  for (let i = start; i < end; i++) if (text.charCodeAt(i) === 92) return undefined;
  if (!text.startsWith(PUT_VERSION, end)) return undefined;
  const c = counters(text, end + PUT_VERSION.length, PUT_VALUE);
  if (c === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text.slice(c.at + PUT_VALUE.length, text.length - 3));
  } catch {
    return undefined;
  }
  // The key order of JSON.parse's entry (entryJson), so that every entry has one shape.
  return { key: text.slice(start, end), version: c.version, rev: c.rev, epoch: c.epoch, value };
}

const SET_HEAD = '{"op":"set","key":"';
/** What may follow a set's key in setText(): its ifVersion, its update flag, its bare-reply flag. */
const SET_TAIL = /^"(?:,"if":(0|[1-9]\d{0,15}))?(,"u":1)?(,"n":1)?\}$/;
const BARE_TAIL = ',"n":1}';

/**
 * A set as setText() writes it, read without JSON.parse of the header (the
 * write path's form); undefined for anything else, which parseRequest reads
 * in full. The key is taken as it stands only when its JSON has no escape
 * (no backslash), where the JSON text and the string are the same.
 */
function parseSet(text: string, nl: number): { header: Request; value: string } | undefined {
  if (!text.startsWith(SET_HEAD)) return undefined;
  const start = SET_HEAD.length;
  const end = text.indexOf('"', start);
  if (end < 0 || end > nl) return undefined;
  for (let i = start; i < end; i++) if (text.charCodeAt(i) === 92) return undefined;
  const key = text.slice(start, end);
  // A plain set (no ifVersion, not update()'s): its header ends at the key's closing quote and a brace.
  if (nl === end + 2 && text.charCodeAt(end + 1) === 125) return { header: { op: 'set', key }, value: text.slice(nl + 1) };
  // The same with only the bare-reply flag (a set from this version's client).
  if (nl === end + 1 + BARE_TAIL.length && text.startsWith(BARE_TAIL, end + 1)) return { header: { op: 'set', key, n: 1 }, value: text.slice(nl + 1) };
  const tail = SET_TAIL.exec(text.slice(end, nl));
  if (tail === null) return undefined;
  const header: { op: 'set'; key: string; if?: number; u?: 1; n?: 1 } = { op: 'set', key };
  if (tail[1] !== undefined) header.if = Number(tail[1]);
  if (tail[2] !== undefined) header.u = 1;
  if (tail[3] !== undefined) header.n = 1;
  return { header, value: text.slice(nl + 1) };
}

/** Splits a request; throws on anything malformed (the caller answers with an error). */
export function parseRequest(text: unknown): { header: Request; value: string | undefined } {
  if (typeof text !== 'string') throw new Error('a state request is a string');
  const nl = text.indexOf('\n');
  if (nl > 0) {
    const set = parseSet(text, nl);
    if (set !== undefined) return set;
  }
  const header = JSON.parse(nl < 0 ? text : text.slice(0, nl)) as Request;
  if (typeof header !== 'object' || header === null || typeof header.op !== 'string') throw new Error('a state request needs an op');
  return { header, value: nl < 0 ? undefined : text.slice(nl + 1) };
}

/** Events in a batch, as the client reads them. e: an entry; w: the watch a replay, initial put or reset is for. */
export interface WireEvent {
  readonly t: 'put' | 'del' | 'reset' | 'synced' | 'status';
  readonly w?: number;
  readonly e?: WireEntry;
  readonly key?: string;
  readonly rev?: number;
  readonly es?: WireEntry[];
  readonly up?: boolean;
  readonly epoch?: number;
}

export interface WireEntry {
  readonly key: string;
  readonly value: unknown;
  readonly version: number;
  readonly rev: number;
  readonly epoch: number;
}

export interface WireReply {
  readonly ok: 0 | 1;
  readonly code?: string;
  readonly msg?: string;
  readonly e?: WireEntry | null;
  /** A bare set's success (n): the entry's version, rev and epoch, without its value. */
  readonly version?: number;
  readonly es?: WireEntry[];
  readonly existed?: boolean;
  readonly rev?: number;
  readonly epoch?: number;
  readonly up?: boolean;
  readonly keys?: number;
  readonly bytes?: number;
  /** status: watches registered, writes by result and resets sent since the master started. */
  readonly watches?: number;
  readonly writes?: { readonly ok: number; readonly conflict: number; readonly error: number };
  readonly resets?: number;
}
