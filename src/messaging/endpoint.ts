// What the master and every worker share: the public messaging API type, the
// local tables of listeners (on) and handlers (handle), and the error body a
// failed request travels back with.
import { DroverError, type ErrorCode } from '../errors.js';
import type { Address } from './envelope.js';

export interface MessageMeta {
  /** The sender: 'master', 'agent' or the sender's worker id. */
  readonly from: Address;
  readonly topic: string;
}

// Payloads are whatever the sender put in: typed by the app, not by drover.
export type Listener = (payload: any, meta: MessageMeta) => void;
export type Handler = (payload: any, meta: MessageMeta) => unknown;

export interface RequestOptions {
  /** Reject with DROVER_E_MSG_TIMEOUT after this many ms (default 10 000; Infinity: never). */
  readonly timeoutMs?: number;
}

/** send/request/handle/on/publish: the same five calls in workers (drover/worker) and on the master (supervisor.messages). */
export interface Messenger {
  /** Resolves once the master has routed the message; waits while the receiver's queue is full. */
  send(to: Address, topic: string, payload?: unknown): Promise<void>;
  request<T = unknown>(to: Address, topic: string, payload?: unknown, options?: RequestOptions): Promise<T>;
  /** Answers request(…, topic, …) with fn's (awaited) result; one handler per topic. Returns an unregister function. */
  handle(topic: string, fn: Handler): () => void;
  /** Messages sent to this process (or to 'workers') and publications on `topic`. Returns an unsubscribe function. */
  on(topic: string, fn: Listener): () => void;
  /** To every subscriber of `topic` in every process (the sender's own listeners included). */
  publish(topic: string, payload?: unknown): Promise<void>;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

export function checkTimeout(options: RequestOptions | undefined, fallback: number): number {
  const t = options?.timeoutMs ?? fallback;
  if (t === Infinity) return 0;
  if (typeof t !== 'number' || !Number.isFinite(t) || t <= 0 || t > 0xffff_ffff) {
    throw new DroverError('DROVER_E_MSG_INVALID', `invalid timeoutMs ${String(t)}: a positive number of milliseconds, or Infinity`);
  }
  return Math.ceil(t);
}

export class Dispatcher {
  private readonly listeners = new Map<string, Listener[]>();
  private readonly handlers = new Map<string, Handler>();

  /** Listeners and handlers registered (a process with any stays reachable). */
  get size(): number {
    return this.listeners.size + this.handlers.size;
  }

  /** True when fn is the first listener of topic (subscribe upstream). */
  addListener(topic: string, fn: Listener): boolean {
    if (typeof fn !== 'function') throw new DroverError('DROVER_E_MSG_INVALID', 'on(topic, fn): fn must be a function');
    const list = this.listeners.get(topic);
    if (list) {
      list.push(fn);
      return false;
    }
    this.listeners.set(topic, [fn]);
    return true;
  }

  /** True when fn was the last listener of topic (unsubscribe upstream). */
  removeListener(topic: string, fn: Listener): boolean {
    const list = this.listeners.get(topic);
    if (!list) return false;
    const i = list.indexOf(fn);
    if (i < 0) return false;
    // Copy on write: an emit in progress keeps iterating its own array.
    const next = [...list.slice(0, i), ...list.slice(i + 1)];
    if (next.length > 0) {
      this.listeners.set(topic, next);
      return false;
    }
    this.listeners.delete(topic);
    return true;
  }

  hasListeners(topic: string): boolean {
    return this.listeners.has(topic);
  }

  topics(): IterableIterator<string> {
    return this.listeners.keys();
  }

  /** Calls every listener; a throwing listener does not stop the others. */
  emit(topic: string, payload: unknown, meta: MessageMeta, onError: (err: unknown) => void): void {
    const list = this.listeners.get(topic);
    if (!list) return;
    for (const fn of list) {
      try {
        fn(payload, meta);
      } catch (err) {
        onError(err);
      }
    }
  }

  setHandler(topic: string, fn: Handler): void {
    if (typeof fn !== 'function') throw new DroverError('DROVER_E_MSG_INVALID', 'handle(topic, fn): fn must be a function');
    if (this.handlers.has(topic)) {
      throw new DroverError('DROVER_E_MSG_INVALID', `a handler for '${topic}' is already registered in this process: call the function handle() returned to remove it first`);
    }
    this.handlers.set(topic, fn);
  }

  removeHandler(topic: string, fn: Handler): void {
    if (this.handlers.get(topic) === fn) this.handlers.delete(topic);
  }

  handler(topic: string): Handler | undefined {
    return this.handlers.get(topic);
  }
}

/** What callHandler returns when the handler threw (an app cannot return one: the class is drover's own). */
export class HandlerThrew {
  constructor(readonly err: unknown) {}
}

export function isThenable(x: unknown): x is PromiseLike<unknown> {
  return typeof x === 'object' && x !== null && typeof (x as PromiseLike<unknown>).then === 'function';
}

/**
 * Runs a request handler: its plain value (no promise, no microtask, no
 * closure: most handlers are synchronous), its promise, or a HandlerThrew.
 * The one way the master's hub and a worker's port call handlers.
 */
export function callHandler(handler: Handler, payload: unknown, meta: MessageMeta): unknown {
  try {
    return handler(payload, meta);
  } catch (err) {
    return new HandlerThrew(err);
  }
}

export interface ErrorBody {
  readonly code: string;
  readonly message: string;
  readonly remote?: { readonly name: string; readonly message: string; readonly code?: unknown; readonly stack?: string };
}

export function errorBody(code: ErrorCode, message: string): string {
  return JSON.stringify({ code, message });
}

/** The error reply for a handler that threw: the requester gets DROVER_E_MSG_HANDLER with the remote error's details. */
export function handlerFailureBody(err: unknown, topic: string, where: string): string {
  const e = err instanceof Error ? err : new Error(String(err));
  const code = (e as { code?: unknown }).code;
  const body: ErrorBody = {
    code: 'DROVER_E_MSG_HANDLER',
    message: `the handler for '${topic}' in ${where} failed: ${e.message}`,
    remote: {
      name: String(e.name).slice(0, 200),
      message: String(e.message).slice(0, 8192),
      code: typeof code === 'string' || typeof code === 'number' ? code : undefined,
      stack: typeof e.stack === 'string' ? e.stack.slice(0, 16384) : undefined,
    },
  };
  return JSON.stringify(body);
}

const MSG_CODES = new Set<string>([
  'DROVER_E_MSG_NO_ROUTE',
  'DROVER_E_MSG_TIMEOUT',
  'DROVER_E_MSG_DISCONNECTED',
  'DROVER_E_MSG_TOO_LARGE',
  'DROVER_E_MSG_OVERFLOW',
  'DROVER_E_MSG_SERIALIZE',
  'DROVER_E_MSG_NO_HANDLER',
  'DROVER_E_MSG_HANDLER',
  'DROVER_E_MSG_INVALID',
]);

/** Reads an error body from the wire; anything unexpected becomes a DROVER_E_MSG_HANDLER error rather than a crash. */
export function errorFromBody(text: string): DroverError {
  let body: Partial<ErrorBody> = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null) body = parsed as Partial<ErrorBody>;
  } catch {
    // Malformed: reported below as such.
  }
  const code = (typeof body.code === 'string' && MSG_CODES.has(body.code) ? body.code : 'DROVER_E_MSG_HANDLER') as ErrorCode;
  const message = typeof body.message === 'string' ? body.message.slice(0, 16384) : 'the request failed (malformed error reply)';
  return new DroverError(code, message, body.remote && typeof body.remote === 'object' ? { remote: body.remote } : {});
}
