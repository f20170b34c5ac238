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
// short walk; a message that JSON.stringify would reject (a cycle) is left to
// Node. Whatever the estimate lets through, the master's own bound
// (runtime/ipc-bound.ts) still catches.
import { DroverError } from '../errors.js';
import { IPC_MAX_MESSAGE_ENV } from '../protocol/ipc-limit.js';

type SendCallback = (err: Error | null) => void;
type Send = (message: unknown, handle?: unknown, options?: unknown, callback?: SendCallback) => boolean;

/** A lower bound of JSON.stringify(value).length if it exceeds `limit`, else undefined. */
export function jsonLengthAbove(value: unknown, limit: number): number | undefined {
  let total = 0;
  const seen = new Set<object>();
  const walk = (v: unknown, depth: number): boolean => {
    if (total > limit) return true;
    if (typeof v === 'string') total += v.length + 2;
    else if (typeof v === 'number' || typeof v === 'boolean' || v === null) total += 1;
    else if (typeof v === 'object' && depth < 1000 && !seen.has(v)) {
      const json = (v as { toJSON?: unknown }).toJSON;
      if (typeof json === 'function') return walk((json as () => unknown).call(v), depth + 1);
      seen.add(v);
      total += 2;
      if (Array.isArray(v)) {
        for (const item of v) if (((total += 1), walk(item, depth + 1))) return true;
      } else {
        for (const key of Object.keys(v)) if (((total += key.length + 3), walk((v as Record<string, unknown>)[key], depth + 1))) return true;
      }
      seen.delete(v);
    }
    return total > limit;
  };
  return walk(value, 0) ? total : undefined;
}

export function limitSends(limit: number): void {
  const send = process.send as Send | undefined;
  if (typeof send !== 'function') return;
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
}
