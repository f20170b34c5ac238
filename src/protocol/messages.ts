// The envelope on Node's IPC channel between the master and a worker.
//
// Contract: every drover message has `cmd: 'NODE_DROVER'`. Node's child_process
// routes any message whose `cmd` starts with "NODE_" to the 'internalMessage'
// event instead of 'message', so an app's process.on('message') never sees
// drover's traffic, and app messages can never be mistaken for drover's.
// Quirk: internal messages that arrive before a listener exists are dropped
// (app messages are queued), so the master sends nothing to a worker until
// that worker has said `online`.

import { STICKY_HEAD_MAX_BYTES, STICKY_KEY_MAX_LENGTH } from '../balancer/sticky-key.js';

export const CMD = 'NODE_DROVER';
export const PROTOCOL_VERSION = 1;

/**
 * `index`: the n-th server of one worker on this address (worker/listen-slots.ts);
 * servers with different indexes get different sockets. Absent means 0.
 */
export type ListenAddress =
  | { readonly type: 'tcp'; readonly host: string | null; readonly port: number; readonly ipv6Only: boolean; readonly index?: number }
  | { readonly type: 'pipe'; readonly path: string; readonly index?: number };

export type BoundAddress =
  | { readonly type: 'tcp'; readonly address: string; readonly family: string; readonly port: number }
  | { readonly type: 'pipe'; readonly path: string };

/** A dgram socket's bind(): shared by the workers as Node's cluster does (src/runtime/udp-shares.ts). */
export interface UdpAddress {
  readonly type: 'udp4' | 'udp6';
  readonly host: string | null;
  readonly port: number;
}

/** Identifies one shared listening socket, as Node's cluster does with its key. */
export function listenKey(a: ListenAddress): string {
  const n = a.index ? `#${a.index}` : '';
  return a.type === 'pipe' ? `pipe:${a.path}${n}` : `tcp:${a.host ?? ''}:${a.port}:${a.ipv6Only ? 6 : ''}${n}`;
}

export type WorkerToMaster =
  | { kind: 'online'; pid: number }
  | { kind: 'listen'; seq: number; address: ListenAddress }
  | { kind: 'unlisten'; key: string }
  | { kind: 'ready' }
  /** drover/worker was loaded (the agent): app-ready is sent again if the app is ready already. */
  | { kind: 'hello' }
  | { kind: 'exiting'; error: string }
  /** A connection the worker refused (it is draining): comes with the handle (and the bytes the master read of it), for another worker. */
  | { kind: 'conn-back'; key: string; head?: string }
  /** claimStickyKey(): connections whose stickyKey attribute is `key` go to this worker (balancer/sticky-table.ts). */
  | { kind: 'sticky-claim'; key: string }
  /** Heartbeat reply, sent from the worker's event loop. */
  | { kind: 'pong'; seq: number; rss: number; elu: number; lagMs: number; requests: number; connections: number; heapUsed?: number; cpuUs?: number }
  /**
   * Connections on `key` received and closed since the last report (coalesced
   * per event-loop turn). `got` returns the listener's hand-off credit (handoff.ts).
   */
  | { kind: 'conns'; key: string; got: number; closed: number }
  /** reuseport: the worker bound its own socket for `key`. */
  | { kind: 'bound'; key: string; address: BoundAddress }
  /** A dgram socket's bind(): the master binds once per address and sends the handle to every worker. */
  | { kind: 'udp-bind'; seq: number; address: UdpAddress };

export type MasterToWorker =
  /**
   * mode faux: the master accepts and hands connections over; handle: the shared
   * listening handle comes with the message (kernel); own: bind this port
   * yourself with reusePort (reuseport).
   */
  | { kind: 'listen-ok'; ack: number; key: string; address: BoundAddress; mode: 'faux' | 'handle' | 'own' }
  /** Close n keep-alive connections gracefully (Connection: close on their next response), to rebalance. */
  | { kind: 'shed'; key: string; n: number }
  | { kind: 'listen-error'; ack: number; code: string; message: string; syscall: string }
  /**
   * A connection for the server listening on `key`: comes with the handle.
   * `head`: bytes the master already read of it (stickyKey; latin1, at most
   * STICKY_HEAD_MAX_BYTES), which the worker puts back in front of the stream.
   */
  | { kind: 'conn'; key: string; head?: string }
  | { kind: 'shutdown'; timeoutMs: number }
  /** Every worker was ready once: onAppReady() handlers run (workers and the agent). */
  | { kind: 'app-ready' }
  | { kind: 'ping'; seq: number }
  /** Answers `unlisten`: no hand-off for `key` follows it in the pipe (worker/close-barrier.ts). */
  | { kind: 'unlisten-ok'; key: string }
  /** The bound UDP handle comes with the message; the kernel spreads datagrams over the workers reading it. */
  | { kind: 'udp-ok'; ack: number; address: BoundAddress }
  | { kind: 'udp-error'; ack: number; code: string; message: string };

export type Envelope<M> = M & { cmd: typeof CMD; v: number };

export function envelope<M extends { kind: string }>(message: M): Envelope<M> {
  return { cmd: CMD, v: PROTOCOL_VERSION, ...message };
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x);
const isStr = (x: unknown): x is string => typeof x === 'string';

function isListenAddress(a: unknown): a is ListenAddress {
  if (!isObject(a)) return false;
  if (a.index !== undefined && !(isInt(a.index) && a.index >= 0 && a.index < 1024)) return false;
  if (a.type === 'pipe') return isStr(a.path) && a.path.length > 0 && a.path.length < 4096;
  return a.type === 'tcp' && (a.host === null || isStr(a.host)) && isInt(a.port) && a.port >= 0 && a.port <= 65535 && typeof a.ipv6Only === 'boolean';
}

/**
 * Validates what a worker sent. Anything malformed yields an error string for
 * the log and is dropped: a bad message never crashes the master.
 */
export function parseWorkerMessage(raw: unknown): { ok: true; message: WorkerToMaster } | { ok: false; error: string } {
  if (!isObject(raw) || raw.cmd !== CMD) return { ok: false, error: 'not a drover envelope' };
  if (raw.v !== PROTOCOL_VERSION) return { ok: false, error: `unsupported protocol version ${String(raw.v)}` };
  switch (raw.kind) {
    case 'online':
      return isInt(raw.pid) ? { ok: true, message: { kind: 'online', pid: raw.pid } } : { ok: false, error: 'online: pid must be an integer' };
    case 'listen':
      return isInt(raw.seq) && isListenAddress(raw.address)
        ? { ok: true, message: { kind: 'listen', seq: raw.seq, address: raw.address } }
        : { ok: false, error: 'listen: needs an integer seq and a valid address' };
    case 'unlisten':
      return isStr(raw.key) ? { ok: true, message: { kind: 'unlisten', key: raw.key } } : { ok: false, error: 'unlisten: key must be a string' };
    case 'ready':
      return { ok: true, message: { kind: 'ready' } };
    case 'hello':
      return { ok: true, message: { kind: 'hello' } };
    case 'exiting':
      return { ok: true, message: { kind: 'exiting', error: isStr(raw.error) ? raw.error.slice(0, 64 * 1024) : 'unknown error' } };
    case 'pong': {
      const { seq, rss, elu, lagMs, requests, connections } = raw;
      const finite = [rss, elu, lagMs, requests, connections].every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0);
      return isInt(seq) && finite
        ? {
            ok: true,
            message: {
              kind: 'pong',
              seq,
              rss: rss as number,
              elu: Math.min(1, elu as number),
              lagMs: lagMs as number,
              requests: requests as number,
              connections: connections as number,
              // Optional (metrics): V8 heap in use, and CPU time user+system in µs.
              ...(typeof raw.heapUsed === 'number' && Number.isFinite(raw.heapUsed) && raw.heapUsed >= 0 ? { heapUsed: raw.heapUsed } : {}),
              ...(typeof raw.cpuUs === 'number' && Number.isFinite(raw.cpuUs) && raw.cpuUs >= 0 ? { cpuUs: raw.cpuUs } : {}),
            },
          }
        : { ok: false, error: 'pong: needs an integer seq and finite non-negative stats' };
    }
    case 'conns': {
      const count = (x: unknown) => isInt(x) && (x as number) >= 0 && (x as number) < 1e7;
      return isStr(raw.key) && count(raw.got) && count(raw.closed) && (raw.got as number) + (raw.closed as number) > 0
        ? { ok: true, message: { kind: 'conns', key: raw.key, got: raw.got as number, closed: raw.closed as number } }
        : { ok: false, error: 'conns: needs a key and non-negative counts' };
    }
    case 'bound': {
      const a = raw.address;
      const valid = isObject(a) && ((a.type === 'tcp' && isStr(a.address) && isStr(a.family) && isInt(a.port)) || (a.type === 'pipe' && isStr(a.path)));
      return valid && isStr(raw.key)
        ? { ok: true, message: { kind: 'bound', key: raw.key, address: a as BoundAddress } }
        : { ok: false, error: 'bound: needs a key and a bound address' };
    }
    case 'udp-bind': {
      const a = raw.address;
      const valid = isObject(a) && (a.type === 'udp4' || a.type === 'udp6') && (a.host === null || isStr(a.host)) && isInt(a.port) && a.port >= 0 && a.port <= 65535;
      return isInt(raw.seq) && valid
        ? { ok: true, message: { kind: 'udp-bind', seq: raw.seq, address: a as unknown as UdpAddress } }
        : { ok: false, error: 'udp-bind: needs an integer seq and a udp4/udp6 address' };
    }
    case 'conn-back':
      if (!isStr(raw.key)) return { ok: false, error: 'conn-back: key must be a string' };
      if (raw.head === undefined) return { ok: true, message: { kind: 'conn-back', key: raw.key } };
      return isStr(raw.head) && raw.head.length <= STICKY_HEAD_MAX_BYTES
        ? { ok: true, message: { kind: 'conn-back', key: raw.key, head: raw.head } }
        : { ok: false, error: `conn-back: head must be a string of at most ${STICKY_HEAD_MAX_BYTES} characters` };
    case 'sticky-claim':
      return isStr(raw.key) && raw.key.length > 0 && raw.key.length <= STICKY_KEY_MAX_LENGTH
        ? { ok: true, message: { kind: 'sticky-claim', key: raw.key } }
        : { ok: false, error: `sticky-claim: key must be a string of 1 to ${STICKY_KEY_MAX_LENGTH} characters` };
    default:
      return { ok: false, error: `unknown kind ${JSON.stringify(String(raw.kind)).slice(0, 80)}` };
  }
}
