// The control protocol: one implementation for the daemon's control socket,
// each app master's control socket, and every client (CLI, library, dashboard).
//
// A frame is a 4-byte big-endian length, then that many bytes of UTF-8 JSON.
//   request  {id, command, args}
//   event    {id, event, data}         0..n per request (progress, watch streams)
//   reply    {id, ok: true, data} | {id, ok: false, error: {code, message, ...}}
// Frames are bounded (MAX_FRAME_BYTES) both ways; a peer that sends a bigger
// or malformed frame is disconnected. Writes to a peer that does not read are
// bounded too: past MAX_PENDING_BYTES of unsent output the connection is
// dropped rather than buffered without limit (PM2's daemon grows to GBs that way).
import { EventEmitter } from 'node:events';
import { chmodSync, unlinkSync } from 'node:fs';
import { checkSocketOwner } from '../platform/home-trust.js';
import net from 'node:net';
import { CATALOG, DroverError, isDroverError, type ErrorCode } from '../errors.js';

export const PROTOCOL_VERSION = 1;
export const MAX_FRAME_BYTES = 8 * 1024 * 1024;
const MAX_PENDING_BYTES = 16 * 1024 * 1024;

export interface WireError {
  readonly code: string;
  readonly message: string;
  readonly [key: string]: unknown;
}

export type Frame =
  | { readonly id: number; readonly command: string; readonly args?: unknown }
  | { readonly id: number; readonly event: string; readonly data?: unknown }
  | { readonly id: number; readonly ok: true; readonly data?: unknown }
  | { readonly id: number; readonly ok: false; readonly error: WireError };

export function encodeFrame(value: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(value), 'utf8');
  if (body.length > MAX_FRAME_BYTES) {
    throw new DroverError('DROVER_E_PROTOCOL', `a control frame of ${body.length} bytes is over the limit of ${MAX_FRAME_BYTES} bytes`);
  }
  const head = Buffer.allocUnsafe(4);
  head.writeUInt32BE(body.length, 0);
  return Buffer.concat([head, body]);
}

/** Cuts a byte stream into frames; throws DROVER_E_PROTOCOL on a bad one. */
export class FrameDecoder {
  private buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): unknown[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const out: unknown[] = [];
    while (this.buffer.length >= 4) {
      const length = this.buffer.readUInt32BE(0);
      if (length > MAX_FRAME_BYTES) {
        throw new DroverError('DROVER_E_PROTOCOL', `a control frame announces ${length} bytes, over the limit of ${MAX_FRAME_BYTES}`);
      }
      if (this.buffer.length < 4 + length) break;
      const body = this.buffer.subarray(4, 4 + length);
      this.buffer = this.buffer.subarray(4 + length);
      try {
        out.push(JSON.parse(body.toString('utf8')));
      } catch {
        throw new DroverError('DROVER_E_PROTOCOL', 'a control frame is not valid JSON');
      }
    }
    // Do not pin a large chunk for a few leftover bytes.
    if (this.buffer.length > 0 && this.buffer.length < 4096) this.buffer = Buffer.from(this.buffer);
    return out;
  }
}

export function toWireError(err: unknown): WireError {
  if (isDroverError(err)) {
    const { exitCode: _exitCode, ...rest } = err.toJSON();
    return { ...rest, code: err.code, message: err.message };
  }
  const e = err as Error;
  return { code: 'DROVER_E_INTERNAL', message: e?.stack ?? e?.message ?? String(err) };
}

export function fromWireError(error: WireError): DroverError {
  const { code, message, ...details } = error;
  if (code in CATALOG) return new DroverError(code as ErrorCode, message, details);
  return new DroverError('DROVER_E_INTERNAL', `${message} [${code}]`, details);
}

// ── server ─────────────────────────────────────────────────────────────────

export interface RequestContext {
  /** A progress or stream event for this request. */
  emit(event: string, data?: unknown): void;
  /** Aborted when the client disconnects. */
  readonly signal: AbortSignal;
}

export type Handler = (command: string, args: Record<string, unknown>, ctx: RequestContext) => unknown;

export interface ControlServer {
  readonly path: string;
  /** Stops accepting; open connections are ended. */
  close(): Promise<void>;
}

function writeFrame(socket: net.Socket, value: unknown): void {
  if (socket.destroyed) return;
  if (socket.writableLength > MAX_PENDING_BYTES) {
    socket.destroy(new DroverError('DROVER_E_PROTOCOL', 'the peer does not read its control socket: disconnected'));
    return;
  }
  socket.write(encodeFrame(value));
}

/**
 * Listens on a unix socket (mode 0600; a stale socket file must have been
 * removed by the caller, who knows whether its owner is alive).
 */
export function listenControl(socketPath: string, handler: Handler): Promise<ControlServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    const abort = new AbortController();
    const decoder = new FrameDecoder();
    socket.on('close', () => {
      sockets.delete(socket);
      abort.abort();
    });
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      let frames: unknown[];
      try {
        frames = decoder.push(chunk);
      } catch (err) {
        writeFrame(socket, { id: 0, ok: false, error: toWireError(err) });
        socket.end();
        return;
      }
      for (const frame of frames) {
        const f = frame as { id?: unknown; command?: unknown; args?: unknown };
        const id = typeof f.id === 'number' ? f.id : 0;
        if (typeof f.command !== 'string') {
          writeFrame(socket, { id, ok: false, error: toWireError(new DroverError('DROVER_E_PROTOCOL', 'a control request needs {id, command, args}')) });
          continue;
        }
        const args = (f.args && typeof f.args === 'object' ? f.args : {}) as Record<string, unknown>;
        const ctx: RequestContext = { emit: (event, data) => writeFrame(socket, { id, event, data }), signal: abort.signal };
        Promise.resolve()
          .then(() => handler(f.command as string, args, ctx))
          .then(
            (data) => writeFrame(socket, { id, ok: true, data }),
            (err) => writeFrame(socket, { id, ok: false, error: toWireError(err) }),
          );
      }
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      try {
        chmodSync(socketPath, 0o600);
      } catch {
        // The directory is 0700 already.
      }
      resolve({
        path: socketPath,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            for (const s of sockets) s.end();
            // Peers that do not close their end get cut after a moment.
            setTimeout(() => {
              for (const s of sockets) s.destroy();
            }, 200).unref();
          }),
      });
    });
  });
}

/** Removes a socket file, ignoring its absence. */
export function removeSocket(socketPath: string): void {
  try {
    unlinkSync(socketPath);
  } catch {
    // gone already
  }
}

// ── client ─────────────────────────────────────────────────────────────────

export interface CallOptions {
  readonly onEvent?: (event: string, data: unknown) => void;
  /** Default: none (the caller decides; a reload can take minutes). */
  readonly timeoutMs?: number;
}

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: Error) => void;
  readonly onEvent?: (event: string, data: unknown) => void;
  readonly timer?: NodeJS.Timeout;
}

export interface ConnectOptions {
  readonly timeoutMs?: number;
  /** The error pending calls are rejected with when the connection drops. */
  readonly lostCode?: ErrorCode;
  readonly lostMessage?: string;
}

export class ControlClient extends EventEmitter {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closed = false;

  private constructor(
    private readonly socket: net.Socket,
    private readonly options: ConnectOptions,
  ) {
    super();
    const decoder = new FrameDecoder();
    socket.on('data', (chunk: Buffer) => {
      let frames: unknown[];
      try {
        frames = decoder.push(chunk);
      } catch (err) {
        this.fail(err as Error);
        socket.destroy();
        return;
      }
      for (const frame of frames) this.onFrame(frame as Frame);
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      this.fail(new DroverError(options.lostCode ?? 'DROVER_E_DAEMON_UNREACHABLE', options.lostMessage ?? 'the control connection closed before the reply'));
      this.emit('close');
    });
  }

  static connect(socketPath: string, options: ConnectOptions = {}): Promise<ControlClient> {
    return new Promise((resolve, reject) => {
      // hook (issue 15): commands and launch records go only to a socket the caller owns.
      checkSocketOwner(socketPath);
      const socket = net.createConnection(socketPath);
      const timer = options.timeoutMs
        ? setTimeout(() => {
            socket.destroy();
            reject(Object.assign(new Error(`connect ${socketPath} timed out`), { code: 'ETIMEDOUT' }));
          }, options.timeoutMs)
        : undefined;
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new ControlClient(socket, options));
      });
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  call<T = unknown>(command: string, args: Record<string, unknown> = {}, options: CallOptions = {}): Promise<T> {
    if (this.closed) {
      return Promise.reject(new DroverError(this.options.lostCode ?? 'DROVER_E_DAEMON_UNREACHABLE', this.options.lostMessage ?? 'the control connection is closed'));
    }
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = options.timeoutMs
        ? setTimeout(() => {
            this.pending.delete(id);
            reject(new DroverError(this.options.lostCode ?? 'DROVER_E_DAEMON_UNREACHABLE', `no answer to "${command}" within ${options.timeoutMs} ms`));
          }, options.timeoutMs)
        : undefined;
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, onEvent: options.onEvent, timer });
      try {
        this.socket.write(encodeFrame({ id, command, args }));
      } catch (err) {
        this.pending.delete(id);
        clearTimeout(timer);
        reject(err as Error);
      }
    });
  }

  /** Lets the process exit while this connection is open (a daemon's watch connections). */
  unref(): this {
    this.socket.unref();
    return this;
  }

  close(): void {
    this.socket.end();
    this.socket.destroySoon?.();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private onFrame(frame: Frame): void {
    const p = this.pending.get(frame.id);
    if ('event' in frame) {
      if (p) p.onEvent?.(frame.event, frame.data);
      else this.emit('event', frame.event, frame.data);
      return;
    }
    if (!('ok' in frame)) return;
    if (!p) {
      // id 0: the server refused a frame it could not attribute.
      if (frame.id === 0 && frame.ok === false) this.fail(fromWireError(frame.error));
      return;
    }
    this.pending.delete(frame.id);
    clearTimeout(p.timer);
    if (frame.ok) p.resolve(frame.data);
    else p.reject(fromWireError(frame.error));
  }

  private fail(err: Error): void {
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      clearTimeout(p.timer);
      p.reject(err);
    }
  }
}
