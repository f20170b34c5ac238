// What the hub and the master's endpoint share: a connection as the hub
// keeps it, the registration of the process it belongs to, and the frames
// both send.
import type net from 'node:net';
import type { ErrorCode } from '../errors.js';
import { ADDR_AGENT, ADDR_NONE, describeAddress } from './envelope.js';
import { errorBody } from './endpoint.js';
import { Kind, encodeJson } from './frame.js';
import type { FrameReader } from './frame-reader.js';
import type { TokenBucket } from './token-bucket.js';

export type Role = 'worker' | 'agent';

export interface Registration {
  readonly wid: number;
  readonly slot: number;
  readonly role: Role;
  readonly token: string;
  readonly registeredAt: number;
  /** When the supervisor saw it ready (undefined: still booting); its connect grace runs from then. */
  readyAt: number | undefined;
}

export interface Conn {
  readonly id: number;
  readonly socket: net.Socket;
  readonly reader: FrameReader;
  reg: Registration | undefined;
  /** Its address as a sender: the worker id (slot), or ADDR_AGENT. */
  addr: number;
  readonly subs: Set<string>;
  closed: boolean;
  /** A frame read but not yet routed, waiting for capacity. */
  held: Buffer | undefined;
  /** The held frame is held for want of a rate token: it takes one when retried (a retry must not be free). */
  heldUnpaid: boolean;
  blocked: boolean;
  pumping: boolean;
  corked: boolean;
  /** Serialised frames written since the cork or the last partial flush (flush-policy.ts). */
  serialisedCorked: number;
  /** Frames/s from this connection (rateLimit); undefined: not limited. */
  readonly bucket: TokenBucket | undefined;
  /** Highest send/publish seq routed since the last ack. */
  ackSeq: number;
  /** Requests to the master being answered. */
  masterInflight: number;
  waitingForMasterSlot: boolean;
  /** Routes of requests this connection sent, and of those sent to it. */
  readonly originRoutes: Set<number>;
  readonly targetRoutes: Set<number>;
  /** Run (once) when its outgoing queue drains or it closes. */
  readonly drainWaiters: Set<() => void>;
  /** Bytes of the master's own messages waiting for this queue to drain (bounded by maxQueueBytes). */
  masterWaiting: number;
  authTimer: NodeJS.Timeout | undefined;
  /** Since when its held frame waits for a receiver that is still starting (hub.ts noRouteYet); undefined: none. */
  noRouteSince: number | undefined;
  /** unblock(this conn), one function per conn so that waiting twice on a queue adds it once. */
  resume: () => void;
}

export function errorFrame(ack: number, from: number, code: ErrorCode, message: string): Buffer {
  return encodeErrorFrame(ack, from, errorBody(code, message));
}

export function encodeErrorFrame(ack: number, from: number, body: string): Buffer {
  return encodeJson({ kind: Kind.error, seq: 0, ack, to: ADDR_NONE, from, topic: '' }, body, Infinity);
}

export function noRoute(addr: number): string {
  if (addr === ADDR_AGENT) return 'no agent is connected to the message hub: the app runs no agent, or it has not started (or not used messaging) yet';
  return `${describeAddress(addr)} is not connected to the message hub: no such worker is running, or it has not made a messaging call yet (a worker connects on its first send/request/on/handle/publish)`;
}
