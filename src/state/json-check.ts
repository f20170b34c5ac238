// Is a set's value one JSON text (RFC 8259)? The master checks every value
// before it splices the text into the log, replies and events; it never uses
// the parsed value. JSON.parse builds that value only to drop it, and in place
// (a master woken from epoll by each set, caches cold) it was the store's
// costliest JS line on the set path (issue 12, --cpu-prof of the master). This
// scan builds nothing.
//
// Contract: true only for text JSON.parse accepts; false means "not shown
// valid here" and the caller asks JSON.parse, which has the last word (and
// the error). Values nested deeper than MAX_DEPTH answer false for that reason.

const MAX_DEPTH = 64;
/** The open containers, innermost last: 1 an object, 0 an array. One per module: the scan is synchronous and does not re-enter. */
const stack = new Uint8Array(MAX_DEPTH);

export function isJsonText(s: string): boolean {
  let depth = 0;
  let i = ws(s, 0);
  for (;;) {
    // A value starts at i.
    const c = s.charCodeAt(i);
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      const object = c === 0x7b;
      i = ws(s, i + 1);
      if (s.charCodeAt(i) === (object ? 0x7d : 0x5d)) i++;
      else {
        if (depth === MAX_DEPTH) return false;
        stack[depth++] = object ? 1 : 0;
        if (object && (i = member(s, i)) < 0) return false;
        continue;
      }
    } else if (c === 0x22) i = str(s, i);
    else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) i = num(s, i);
    else if (c === 0x74) i = s.startsWith('true', i) ? i + 4 : -1;
    else if (c === 0x66) i = s.startsWith('false', i) ? i + 5 : -1;
    else if (c === 0x6e) i = s.startsWith('null', i) ? i + 4 : -1;
    else return false;
    if (i < 0) return false;
    // After a value: close containers, or a comma and the next value.
    for (;;) {
      i = ws(s, i);
      if (depth === 0) return i === s.length;
      const object = stack[depth - 1] === 1;
      const d = s.charCodeAt(i);
      if (d === 0x2c /* , */) {
        i = ws(s, i + 1);
        if (object && (i = member(s, i)) < 0) return false;
        break;
      }
      if (d !== (object ? 0x7d : 0x5d)) return false;
      depth--;
      i++;
    }
  }
}

/** An object member's name and colon at i: the index of its value, or -1. */
function member(s: string, i: number): number {
  if (s.charCodeAt(i) !== 0x22) return -1;
  i = str(s, i);
  if (i < 0) return -1;
  i = ws(s, i);
  return s.charCodeAt(i) === 0x3a /* : */ ? ws(s, i + 1) : -1;
}

function ws(s: string, i: number): number {
  for (;;) {
    const c = s.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
    i++;
  }
}

/** A string at i (its opening quote): the index after its closing quote, or -1. */
function str(s: string, i: number): number {
  for (i++; ; ) {
    const c = s.charCodeAt(i);
    if (c === 0x22) return i + 1;
    // Control characters (and NaN: past the end) are not allowed raw.
    if (!(c >= 0x20)) return -1;
    if (c !== 0x5c) {
      i++;
      continue;
    }
    const e = s.charCodeAt(i + 1);
    if (e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) i += 2;
    else if (e === 0x75 && hex(s.charCodeAt(i + 2)) && hex(s.charCodeAt(i + 3)) && hex(s.charCodeAt(i + 4)) && hex(s.charCodeAt(i + 5))) i += 6;
    else return -1;
  }
}

function hex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** A number at i: the index after it, or -1. */
function num(s: string, i: number): number {
  if (s.charCodeAt(i) === 0x2d) i++;
  const first = s.charCodeAt(i);
  if (first === 0x30) i++;
  else if (first >= 0x31 && first <= 0x39) i = digits(s, i + 1);
  else return -1;
  if (s.charCodeAt(i) === 0x2e /* . */) {
    const end = digits(s, i + 1);
    if (end === i + 1) return -1;
    i = end;
  }
  const e = s.charCodeAt(i);
  if (e === 0x65 || e === 0x45) {
    i++;
    const sign = s.charCodeAt(i);
    if (sign === 0x2b || sign === 0x2d) i++;
    const end = digits(s, i);
    if (end === i) return -1;
    i = end;
  }
  return i;
}

function digits(s: string, i: number): number {
  for (;;) {
    const c = s.charCodeAt(i);
    if (!(c >= 0x30 && c <= 0x39)) return i;
    i++;
  }
}
