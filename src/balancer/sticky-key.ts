// Stickiness by a request attribute (the `stickyKey` option): which part of an
// HTTP/1 request head names the session. Pure: the master reads the head
// (head-reader.ts) and asks here for the key; anything it cannot parse yields
// no key, and the connection is placed by the normal strategy.
//
// Contract: only the first request of a connection is read. Later requests on
// a keep-alive connection go where the connection went, which is what session
// protocols need (socket.io's client opens a connection per session anyway).

export const STICKY_KEY_SOURCES = ['cookie', 'header', 'query'] as const;
export type StickyKeySource = (typeof STICKY_KEY_SOURCES)[number];

export interface StickyKeySpec {
  readonly source: StickyKeySource;
  /** header names are compared lower-cased; cookie and query names as given. */
  readonly name: string;
}

/** What the master reads of a connection at most before it gives up and hands it over as is. */
export const STICKY_HEAD_MAX_BYTES = 8 * 1024;
/** A key longer than this is not a session id: ignored (the connection is placed normally). */
export const STICKY_KEY_MAX_LENGTH = 256;

/** A token as in RFC 9110 (header names) and what cookie/query names reasonably contain. */
const NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;

export const STICKY_KEY_FORMAT = 'cookie:<name>, header:<name> or query:<name> (e.g. query:sid for socket.io)';

/** Parses `cookie:<name>` | `header:<name>` | `query:<name>`; undefined when malformed. */
export function parseStickyKeySpec(text: string): StickyKeySpec | undefined {
  const colon = text.indexOf(':');
  if (colon < 1) return undefined;
  const source = text.slice(0, colon);
  const name = text.slice(colon + 1);
  if (!(STICKY_KEY_SOURCES as readonly string[]).includes(source) || !NAME.test(name)) return undefined;
  return { source: source as StickyKeySource, name: source === 'header' ? name.toLowerCase() : name };
}

/**
 * Whether `head` holds as much as `spec` needs: the request line for a query
 * key, the whole head (up to the blank line) otherwise.
 */
export function headComplete(head: Buffer, spec: StickyKeySpec): boolean {
  return spec.source === 'query' ? head.includes('\r\n') || head.includes('\n') : head.includes('\r\n\r\n') || head.includes('\n\n');
}

/**
 * The key in a request head, or undefined (not HTTP/1, absent, empty, too long, malformed).
 * Runs in the master for every connection: lines are walked in place (no split
 * of the whole head) and only the wanted field's value is cut out.
 */
export function extractStickyKey(head: Buffer, spec: StickyKeySpec): string | undefined {
  const text = head.subarray(0, STICKY_HEAD_MAX_BYTES).toString('latin1');
  let end = text.indexOf('\n');
  const requestLine = REQUEST_LINE.exec(lineAt(text, 0, end));
  if (!requestLine) return undefined;
  let value: string | undefined;
  if (spec.source === 'query') value = queryParam(requestLine[1]!, spec.name);
  else {
    const wanted = spec.source === 'cookie' ? 'cookie' : spec.name;
    for (let start = end + 1; end !== -1 && start < text.length; start = end + 1) {
      end = text.indexOf('\n', start);
      const line = lineAt(text, start, end);
      if (line === '') break;
      const colon = line.indexOf(':');
      if (colon < 1) continue;
      const field = line.slice(0, colon).trim();
      if (field.length !== wanted.length || field.toLowerCase() !== wanted) continue;
      const fieldValue = line.slice(colon + 1).trim();
      if (spec.source === 'header') {
        value = fieldValue;
        break;
      }
      value = cookie(fieldValue, spec.name);
      if (value !== undefined) break;
    }
  }
  return value !== undefined && value.length > 0 && value.length <= STICKY_KEY_MAX_LENGTH ? value : undefined;
}

const REQUEST_LINE = /^[A-Z]{1,16} (\S{1,8192}) HTTP\/1\.[01]$/;

/** The line from `start` to the `\n` at `end` (-1: the end of the text), without its `\r`. */
function lineAt(text: string, start: number, end: number): string {
  const stop = end === -1 ? text.length : end;
  return text.slice(start, stop > start && text.charCodeAt(stop - 1) === 13 ? stop - 1 : stop);
}

function queryParam(target: string, name: string): string | undefined {
  const hash = target.indexOf('#');
  const path = hash === -1 ? target : target.slice(0, hash);
  const q = path.indexOf('?');
  if (q === -1) return undefined;
  for (const pair of path.slice(q + 1).split('&')) {
    const eq = pair.indexOf('=');
    const k = eq === -1 ? pair : pair.slice(0, eq);
    if (safeDecode(k) === name) return eq === -1 ? undefined : safeDecode(pair.slice(eq + 1));
  }
  return undefined;
}

function cookie(header: string, name: string): string | undefined {
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1 || part.slice(0, eq).trim() !== name) continue;
    let v = part.slice(eq + 1).trim();
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    return safeDecode(v);
  }
  return undefined;
}

function safeDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}
