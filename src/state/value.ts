// Values in the store are JSON: the file log, Redis and `drover state --json`
// hold them as text, and every process gets the same value back. Checked
// strictly before anything is sent, because JSON.stringify silently turns a
// Map into {} and drops undefined: that would be data loss, not an error.
import { DroverError } from '../errors.js';
import { STATE_LIMITS } from './types.js';

function describe(path: string): string {
  return path === '' ? 'the value' : `value${path}`;
}

function check(x: unknown, path: string, seen: Set<object>, depth: number): void {
  if (x === null || typeof x === 'string' || typeof x === 'boolean') return;
  if (typeof x === 'number') {
    if (Number.isFinite(x)) return;
    throw invalid(`${describe(path)} is ${x}, which JSON cannot hold`);
  }
  if (typeof x !== 'object') throw invalid(`${describe(path)} is ${typeof x === 'undefined' ? 'undefined' : `a ${typeof x}`}, which JSON cannot hold`);
  if (depth > 256) throw invalid(`${describe(path)} is nested more than 256 levels deep`);
  if (seen.has(x)) throw invalid(`${describe(path)} is a cycle (an object that contains itself)`);
  seen.add(x);
  if (Array.isArray(x)) {
    for (let i = 0; i < x.length; i++) check(x[i], `${path}[${i}]`, seen, depth + 1);
  } else {
    const proto = Object.getPrototypeOf(x);
    if (proto !== Object.prototype && proto !== null) {
      throw invalid(`${describe(path)} is a ${(x as object).constructor?.name ?? 'class instance'}, not a plain object`);
    }
    for (const k of Object.keys(x)) check((x as Record<string, unknown>)[k], `${path}.${k}`, seen, depth + 1);
  }
  seen.delete(x);
}

function invalid(message: string): DroverError {
  return new DroverError('DROVER_E_STATE_VALUE', `${message}: store plain JSON data (objects, arrays, strings, finite numbers, booleans, null)`);
}

/**
 * check() without the bookkeeping of its messages (no path strings, no set of
 * ancestors): true when the value is plain JSON data. A cycle ends at the depth
 * limit; anything it refuses goes through check(), which says exactly why.
 */
function plain(x: unknown, depth: number): boolean {
  if (x === null) return true;
  switch (typeof x) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(x);
    case 'object':
      break;
    default:
      return false;
  }
  if (depth > 256) return false;
  if (Array.isArray(x)) {
    for (let i = 0; i < x.length; i++) if (!plain(x[i], depth + 1)) return false;
    return true;
  }
  const proto = Object.getPrototypeOf(x);
  if (proto !== Object.prototype && proto !== null) return false;
  const keys = Object.keys(x as object);
  for (let i = 0; i < keys.length; i++) if (!plain((x as Record<string, unknown>)[keys[i]!], depth + 1)) return false;
  return true;
}

/** The value as JSON text; throws DROVER_E_STATE_VALUE / DROVER_E_STATE_LIMIT. */
export function encodeValue(value: unknown, key: string): string {
  if (!plain(value, 0)) check(value, '', new Set(), 0);
  const text = JSON.stringify(value);
  checkValueSize(text, key);
  return text;
}

export function checkValueSize(text: string, key: string): void {
  // length is a lower bound of the UTF-8 size: the exact count only near the limit.
  const max = STATE_LIMITS.maxValueBytes;
  if (text.length > max || (text.length * 3 > max && Buffer.byteLength(text) > max)) {
    throw new DroverError('DROVER_E_STATE_LIMIT', `the value of '${key.slice(0, 80)}' is ${Buffer.byteLength(text)} bytes as JSON, over the limit of ${max}: store less per key (split it, or store a reference)`);
  }
}

export function checkKey(key: unknown): string {
  if (typeof key !== 'string' || key.length === 0) throw new DroverError('DROVER_E_STATE_VALUE', `invalid key ${JSON.stringify(key) ?? String(key)}: a key is a non-empty string`);
  if (key.includes('*')) throw new DroverError('DROVER_E_STATE_VALUE', `invalid key ${JSON.stringify(key.slice(0, 80))}: '*' is for watch patterns, not keys`);
  // length is a lower bound of the UTF-8 size, and a third of an upper bound: the exact count only near the limit.
  if (key.length > STATE_LIMITS.maxKeyBytes || (key.length * 3 > STATE_LIMITS.maxKeyBytes && Buffer.byteLength(key) > STATE_LIMITS.maxKeyBytes)) {
    throw new DroverError('DROVER_E_STATE_LIMIT', `key ${JSON.stringify(key.slice(0, 80))}… is longer than ${STATE_LIMITS.maxKeyBytes} bytes`);
  }
  return key;
}

/** 'config' matches itself; 'user:*' every key starting with 'user:'; '*' every key. */
export function checkPattern(pattern: unknown): string {
  if (typeof pattern !== 'string' || pattern.length === 0) throw new DroverError('DROVER_E_STATE_VALUE', 'watch(pattern, fn): pattern is a key or a prefix ending in *');
  const body = pattern.endsWith('*') ? pattern.slice(0, -1) : pattern;
  if (body.includes('*')) throw new DroverError('DROVER_E_STATE_VALUE', `invalid watch pattern ${JSON.stringify(pattern.slice(0, 80))}: '*' may only end it`);
  if (Buffer.byteLength(body) > STATE_LIMITS.maxKeyBytes) throw new DroverError('DROVER_E_STATE_LIMIT', `watch pattern longer than ${STATE_LIMITS.maxKeyBytes} bytes`);
  return pattern;
}

export function matches(pattern: string, key: string): boolean {
  return pattern.endsWith('*') ? key.startsWith(pattern.slice(0, -1)) : key === pattern;
}

export function deepFreeze<T>(x: T): T {
  if (typeof x !== 'object' || x === null || Object.isFrozen(x)) return x;
  Object.freeze(x);
  // Values come from JSON.parse: arrays by index and plain objects by for-in allocate nothing per level.
  if (Array.isArray(x)) {
    for (let i = 0; i < x.length; i++) deepFreeze(x[i]);
  } else if (Object.getPrototypeOf(x) === Object.prototype) {
    for (const k in x) deepFreeze((x as Record<string, unknown>)[k]);
  } else {
    for (const v of Object.values(x)) deepFreeze(v);
  }
  return x;
}
