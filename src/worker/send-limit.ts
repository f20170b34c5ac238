// The worker's side of the IPC message bound (protocol/ipc-limit.ts): an
// oversized process.send is refused with DROVER_E_IPC_TOO_LARGE before a byte
// of it is written, so the app learns at the call site instead of the master
// stalling on it: thrown when the app passed no callback, passed to the
// callback otherwise (as Node does with its own send errors).
//
// Node keeps the pipe and the JSON it writes private (process.channel is only
// a ref/unref control), so the size is estimated here: jsonLengthAbove() walks
// the message and sums a lower bound of its JSON length, stopping as soon as it
// passes the bound. One big string is seen in O(1); small messages cost a
// short walk (under a microsecond for a heartbeat reply); nesting deeper than
// MAX_DEPTH is not counted, so a cycle ends and is left to JSON.stringify to
// reject. Whatever the estimate lets through, the master's own bound
// (runtime/ipc-bound.ts) still catches.
import { DroverError } from '../errors.js';
import { IPC_MAX_MESSAGE_ENV } from '../protocol/ipc-limit.js';

type SendCallback = (err: Error | null) => void;
type Send = (message: unknown, handle?: unknown, options?: unknown, callback?: SendCallback) => boolean;

/** A lower bound of JSON.stringify(value).length if it exceeds `limit`, else undefined. */
export function jsonLengthAbove(value: unknown, limit: number): number | undefined {
  const total = lowerBound(value, limit, 0, 0);
  return total > limit ? total : undefined;
}

/** Beyond this nesting the walk stops counting (and a cycle ends): the master's bound still holds. */
const MAX_DEPTH = 64;

// Hot path (every process.send, drover's own messages included): no allocation
// besides Object.keys, no closure; returns as soon as the sum passes `limit`.
function lowerBound(v: unknown, limit: number, total: number, depth: number): number {
  if (typeof v === 'string') return total + v.length + 2;
  if (typeof v !== 'object' || v === null) return total + 1;
  if (depth >= MAX_DEPTH) return total;
  const toJSON = (v as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return lowerBound((toJSON as () => unknown).call(v), limit, total, depth + 1);
  total += 2;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length && total <= limit; i++) total = lowerBound(v[i], limit, total + 1, depth + 1);
    return total;
  }
  const keys = Object.keys(v);
  for (let i = 0; i < keys.length && total <= limit; i++) total = lowerBound((v as Record<string, unknown>)[keys[i]!], limit, total + keys[i]!.length + 3, depth + 1);
  return total;
}

const LIMITED = Symbol.for('drover.send-limit');

/** Wraps process.send once per process (the worker runtime and the agent preload both call it). */
export function limitSends(limit: number): void {
  const send = process.send as Send | undefined;
  if (typeof send !== 'function' || (send as unknown as Record<symbol, unknown>)[LIMITED]) return;
  const tooLarge = (length: number) =>
    new DroverError(
      'DROVER_E_IPC_TOO_LARGE',
      `process.send refused: the message is more than ${length} characters of JSON, above the IPC limit of ${limit} (${IPC_MAX_MESSAGE_ENV}); send the master small messages and pass large data through a file, a shared store or drover/worker messaging`,
      { length, limit },
    );
  process.send = function (this: unknown, message: unknown, handle?: unknown, options?: unknown, callback?: SendCallback): boolean {
    const length = jsonLengthAbove(message, limit);
    if (length === undefined) return send.call(this, message, handle, options, callback);
    // Node's argument shuffling: (message, callback), (message, handle, callback).
    const cb = [handle, options, callback].find((x): x is SendCallback => typeof x === 'function');
    if (!cb) throw tooLarge(length);
    process.nextTick(cb, tooLarge(length));
    return false;
  } as typeof process.send;
  (process.send as unknown as Record<symbol, unknown>)[LIMITED] = true;
}
