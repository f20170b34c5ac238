// Handles (sockets) from the master to a worker without Node's stop-and-wait.
//
// Quirk: child_process sends one handle per child at a time. After a handle is
// written it sets `child._handleQueue = []` and queues every later message
// (with or without a handle) until the child's NODE_HANDLE_ACK comes back. A
// worker therefore receives at most one connection per turn of its event loop,
// and each hand-off costs a wake-up on both sides: with a new connection per
// request that round trip, not CPU, bounds Node cluster's round-robin.
//
// Contract, both ends in this file:
// - master: every handle drover sends to a worker goes through sendHandle(),
//   which clears the queue marker right after the write, so the next hand-off
//   is written at once (pipelined);
// - worker: suppressHandleAcks() drops the ACK (and NACK) Node would send for a
//   NODE_HANDLE whose payload is a drover envelope. Flow control is ours instead:
//   the worker reports how many connections it received with its coalesced
//   `closed` message, and the listener caps those in flight per worker.
// Why this is safe on Linux: the kernel never merges two SCM_RIGHTS messages
// into one read, so each read carries at most one handle and Node's receiver
// pairs it with the one NODE_HANDLE message in that read (see the comment in
// lib/internal/child_process.js, channel.onread). The write callback runs once
// the fd is in the socket buffer, when the kernel holds its own reference.
// guardAcks() keeps a stray or spoofed ACK (an app can process.send any
// `NODE_*` message) from tripping Node's assert(Array.isArray(_handleQueue)),
// which would crash the master.
import type { ChildProcess } from 'node:child_process';
import type { EventEmitter } from 'node:events';
import { CMD } from './messages.js';

/** Hand-offs a worker may have in flight (sent, not yet reported received); the listener's cap. */
export const HANDOFF_WINDOW = Number(process.env.DROVER_HANDOFF_WINDOW) || 32;
/** The worker reports at the end of its event-loop turn once this many are unreported... */
export const HANDOFF_REPORT_EVERY = Math.max(1, HANDOFF_WINDOW >> 1);
/**
 * ...and otherwise at the end of the turn in which a count changed, but no
 * sooner than this after the previous report (worker/conn-counts.ts). This is
 * how stale the master's counts are while the worker's event loop runs: it
 * used to be 5 ms for every change, long enough that least-connections saw an
 * idle worker's just-closed connections as open and sent new ones to a worker
 * busy with a CPU-bound request (issue 17). DROVER_HANDOFF_REPORT_GAP_MS
 * overrides it (benchmarks compare settings with it).
 */
export const HANDOFF_REPORT_GAP_MS = envMs(process.env.DROVER_HANDOFF_REPORT_GAP_MS, 1);

function envMs(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return value !== undefined && value !== '' && Number.isFinite(n) && n >= 0 && n <= 1000 ? n : fallback;
}

interface HandleQueueInternals {
  _handleQueue: unknown[] | null;
}

interface InternalMessage {
  cmd?: unknown;
  msg?: { cmd?: unknown; key?: unknown };
}

function isAckCmd(cmd: unknown): boolean {
  return cmd === 'NODE_HANDLE_ACK' || cmd === 'NODE_HANDLE_NACK';
}

/** Master: writes `message` with `handle`; `done` runs once the fd is in the channel (or failed). */
export function sendHandle(child: ChildProcess, message: object, handle: unknown, done: (err: Error | null) => void): void {
  const internals = child as unknown as HandleQueueInternals;
  // Something else is waiting for a real ACK (never drover's own sends): let Node queue behind it.
  const pipelined = internals._handleQueue === null;
  child.send(message as never, handle as never, { keepOpen: true }, done);
  if (pipelined && Array.isArray(internals._handleQueue) && internals._handleQueue.length === 0) internals._handleQueue = null;
}

/** Master: makes ACKs nobody waits for harmless. Call once per child, before any other internalMessage listener matters. */
export function guardAcks(child: ChildProcess): void {
  const internals = child as unknown as HandleQueueInternals;
  child.prependListener('internalMessage' as 'message', (m: InternalMessage) => {
    if (m && isAckCmd(m.cmd) && !Array.isArray(internals._handleQueue)) internals._handleQueue = [];
  });
}

/**
 * Worker: Node ACKs every NODE_HANDLE before it converts the handle; for
 * drover's envelopes that ACK (or the NACK for a handle lost to MSG_CTRUNC,
 * which the master's conn accounting absorbs) is not sent.
 */
export function suppressHandleAcks(onLost: (key: string) => void): void {
  const proc = process as unknown as { _send?: (m: InternalMessage, ...rest: unknown[]) => boolean };
  const original = proc._send;
  if (typeof original !== 'function') return;
  // Set by our listener, which runs just before Node's own: Node's listener
  // then sends the ACK synchronously, through proc._send.
  let skip: { lost: boolean; key: unknown } | null = null;
  (process as unknown as EventEmitter).prependListener('internalMessage', (m: InternalMessage, handle: unknown) => {
    if (m?.cmd === 'NODE_HANDLE' && m.msg?.cmd === CMD) skip = { lost: !handle, key: m.msg.key };
  });
  proc._send = function (this: unknown, m: InternalMessage, ...rest: unknown[]): boolean {
    if (skip !== null && isAckCmd(m?.cmd)) {
      const { lost, key } = skip;
      skip = null;
      if (lost && typeof key === 'string') onLost(key);
      return true;
    }
    return original.call(this, m, ...rest);
  };
}
