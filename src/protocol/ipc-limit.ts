// The bound on one message a worker sends the master over Node's IPC channel
// (process.send, drover's own envelopes included).
//
// Why: Node's channel has no limit. The master buffers a message until its
// newline and then parses it on its event loop: two 250 MB messages from one
// worker blocked accept, hand-offs and heartbeats for 9.3 s and left the
// master at 1.6 GB (issue 15). The master has no use for large messages (it
// reads drover's envelopes and PM2's 'ready'), so the bound is small.
//
// Unit: UTF-16 code units of the serialized JSON line, which is what both ends
// can count in O(1) (a string's length); for ASCII text that is bytes.
// Both ends: the worker runtime refuses a larger send with
// DROVER_E_IPC_TOO_LARGE (worker/send-limit.ts); the master cuts the channel of
// a worker whose unfinished message grows past it anyway
// (runtime/ipc-bound.ts), so it never holds more than the bound plus one read.

/** Default bound: 4 Mi code units. */
export const DEFAULT_IPC_MAX_MESSAGE = 4 * 1024 * 1024;

/** Bounds of the option (ipcMaxMessageBytes): drover's own messages must fit; a Node string cannot hold much more than the maximum. */
export const MIN_IPC_MAX_MESSAGE = 64 * 1024;
export const MAX_IPC_MAX_MESSAGE = 256 * 1024 * 1024;

/** How the master tells its workers the bound (and how `drover run` users set it). */
export const IPC_MAX_MESSAGE_ENV = 'DROVER_IPC_MAX_MESSAGE';

/** A positive integer from the environment, else the default. */
export function ipcMaxMessage(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env[IPC_MAX_MESSAGE_ENV]);
  return Number.isInteger(n) && n > 0 ? n : DEFAULT_IPC_MAX_MESSAGE;
}
