// The master's side of the IPC message bound (protocol/ipc-limit.ts): a worker
// that writes a longer message than the bound, bypassing the worker runtime's
// check (a raw channel write, another runtime), has its channel cut before the
// master holds more than the bound plus one read or parses any of it.
//
// How: Node's child_process collects an unfinished JSON line in the channel
// pipe's kJSONBuffer string (Node 20 to 24: lib/internal/child_process/serialization.js)
// and parses only at the newline. After each read we look at that string's
// length. Where the internals differ (another Node), nothing is bounded here;
// the runtime's check still holds for unmodified apps.
import type { ChildProcess } from 'node:child_process';

interface Channel {
  onread?: (...args: unknown[]) => unknown;
  readStop?: () => number;
  [key: symbol]: unknown;
}

/** Calls `exceeded` (once) with the length buffered when a message outgrows `maxLength`; the buffer is dropped. */
export function boundChannel(child: ChildProcess, maxLength: number, exceeded: (length: number) => void): boolean {
  // child.channel is only a ref/unref control; the pipe is under this symbol.
  const handle = Object.getOwnPropertySymbols(child).find((s) => s.description === 'kChannelHandle');
  const channel = handle && ((child as unknown as Record<symbol, Channel | undefined>)[handle]);
  if (!channel || typeof channel.onread !== 'function') return false;
  const buffer = Object.getOwnPropertySymbols(channel).find((s) => s.description === 'kJSONBuffer');
  if (!buffer) return false;
  const onread = channel.onread;
  let tripped = false;
  channel.onread = function (this: Channel, ...args: unknown[]) {
    // Once cut, nothing more is parsed: the rest of the message would reach
    // JSON.parse as a fragment and throw in the master.
    if (tripped) return undefined;
    const result = onread.apply(this, args);
    const pending = this[buffer];
    if (typeof pending === 'string' && pending.length > maxLength) {
      tripped = true;
      this[buffer] = '';
      // Node's disconnect() waits for a message being read to complete (`buffering`): none will.
      (this as { buffering?: boolean }).buffering = false;
      this.readStop?.();
      exceeded(pending.length);
    }
    return result;
  };
  return true;
}
