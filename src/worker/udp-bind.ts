// A dgram socket's bind() in a worker asks the master, as Node's cluster does
// for its workers (dgram.js bindServerHandle): the master binds once per
// address and sends the bound handle; the socket takes it over with Node's own
// bind(handle) path (replaceHandle + startListening), so 'listening',
// address() and the callback behave as after a real bind. Binds Node's cluster
// leaves alone are left alone too: exclusive: true, an fd, a handle.
import dgram from 'node:dgram';
import type { MasterToWorker, UdpAddress, WorkerToMaster } from '../protocol/messages.js';

interface Sender {
  readonly connected: boolean;
  send(message: WorkerToMaster): void;
  ref(): void;
  unref(): void;
}

interface BindRequest {
  readonly address: UdpAddress;
  readonly callback: (() => void) | undefined;
}

type Bind = (this: dgram.Socket, ...args: unknown[]) => dgram.Socket;

function isBound(socket: dgram.Socket): boolean {
  try {
    socket.address();
    return true;
  } catch {
    return false;
  }
}

/** The arguments of bind([port][, address][, cb]) or bind(options[, cb]); null: a bind drover does not share. */
export function parseBindArgs(type: string, args: readonly unknown[]): BindRequest | null {
  if (type !== 'udp4' && type !== 'udp6') return null;
  const last = args[args.length - 1];
  const callback = typeof last === 'function' ? (last as () => void) : undefined;
  const [first, second] = args;
  let port: unknown = 0;
  let host: unknown;
  if (first !== null && typeof first === 'object') {
    const o = first as { port?: unknown; address?: unknown; exclusive?: unknown; fd?: unknown; recvStart?: unknown };
    if (typeof o.recvStart === 'function' || o.fd !== undefined || o.exclusive === true) return null;
    port = o.port ?? 0;
    host = o.address;
  } else if (typeof first !== 'function') {
    port = first ?? 0;
    host = typeof second === 'string' ? second : undefined;
  }
  const n = typeof port === 'string' && /^\d+$/.test(port) ? Number(port) : port;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 65535) return null; // Node reports it
  return { address: { type, host: typeof host === 'string' && host !== '' ? host : null, port: n }, callback };
}

export class UdpBinder {
  private seq = 0;
  private readonly pending = new Map<number, { socket: dgram.Socket; request: BindRequest }>();
  private original: Bind | undefined;

  constructor(private readonly channel: Sender) {}

  install(): void {
    const binder = this;
    const original = dgram.Socket.prototype.bind as unknown as Bind;
    this.original = original;
    dgram.Socket.prototype.bind = function sharedBind(this: dgram.Socket, ...args: unknown[]) {
      const request = binder.channel.connected && !isBound(this) ? parseBindArgs((this as unknown as { type: string }).type, args) : null;
      if (!request) return original.apply(this, args);
      binder.request(this, request);
      return this;
    } as typeof dgram.Socket.prototype.bind;
  }

  private request(socket: dgram.Socket, request: BindRequest): void {
    const seq = ++this.seq;
    // Keeps the process alive until the master answers (then the handle does).
    this.channel.ref();
    this.pending.set(seq, { socket, request });
    this.channel.send({ kind: 'udp-bind', seq, address: request.address });
  }

  onOk(m: Extract<MasterToWorker, { kind: 'udp-ok' }>, handle: unknown): void {
    const p = this.take(m.ack);
    if (!p) return void (handle as { close?: () => void } | undefined)?.close?.();
    if (!handle) return this.fail(p, 'EBADF', 'the bound socket from the master was lost in transit');
    if (p.request.callback) p.socket.once('listening', p.request.callback);
    this.original!.call(p.socket, handle);
  }

  onError(m: Extract<MasterToWorker, { kind: 'udp-error' }>): void {
    const p = this.take(m.ack);
    if (p) this.fail(p, m.code, m.message);
  }

  private take(ack: number): { socket: dgram.Socket; request: BindRequest } | undefined {
    const p = this.pending.get(ack);
    if (!p) return undefined;
    this.pending.delete(ack);
    this.channel.unref();
    return p;
  }

  private fail(p: { socket: dgram.Socket; request: BindRequest }, code: string, message: string): void {
    const { host, port } = p.request.address;
    const err = Object.assign(new Error(`bind ${code} ${host ?? '*'}:${port}: ${message}`), { code, syscall: 'bind', address: host ?? undefined, port });
    p.socket.emit('error', err);
  }
}
