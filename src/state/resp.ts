// A minimal Redis (RESP2) connection for the change stream's tail alone.
//
// The tail sends one command at a time (XREAD BLOCK, AUTH and SELECT on
// connect) and every change of the store comes to the master through it, so
// it skips what ioredis does per command (a Command object, the command
// queue, its parser's buffering and the reply transforms): a reply is parsed
// from the socket's data in the callback that read it. Everything else stays
// on ioredis (redis-backend.ts).
//
// No reconnect of its own: a command while disconnected connects first, and
// a failure rejects the command (the tail waits and tries again). A socket
// that stays silent past the idle timeout (a peer gone without a FIN, while
// XREAD BLOCK waits at most blockMs) is destroyed, which rejects the command.
import net from 'node:net';
import tls from 'node:tls';

export type RespValue = string | number | null | RespValue[];

/** A reply or an error reply, and the byte after it; undefined when `buf` does not hold all of it yet. */
export function parseReply(buf: Buffer, at = 0): { value: RespValue | Error; end: number } | undefined {
  const r = parse(buf, at);
  return typeof r === 'number' ? undefined : r;
}

/** A reply, or, when `buf` ends first, the length it must reach at least before trying again. */
function parse(buf: Buffer, at: number): { value: RespValue | Error; end: number } | number {
  const eol = buf.indexOf('\r\n', at, 'latin1');
  if (eol < 0) return buf.length + 1;
  const type = buf[at];
  const line = buf.toString('utf8', at + 1, eol);
  switch (type) {
    case 0x2b: // +simple
      return { value: line, end: eol + 2 };
    case 0x2d: // -error
      return { value: new Error(line), end: eol + 2 };
    case 0x3a: // :integer
      return { value: Number(line), end: eol + 2 };
    case 0x24: {
      // $bulk: byte length, the bytes, CRLF
      const n = lengthOf(line);
      if (n < 0) return { value: null, end: eol + 2 };
      const end = eol + 2 + n + 2;
      if (buf.length < end) return end;
      return { value: buf.toString('utf8', eol + 2, eol + 2 + n), end };
    }
    case 0x2a: {
      // *array of n replies
      const n = lengthOf(line);
      if (n < 0) return { value: null, end: eol + 2 };
      const items: RespValue[] = [];
      let pos = eol + 2;
      for (let i = 0; i < n; i++) {
        const item = parse(buf, pos);
        if (typeof item === 'number') return item;
        // An error inside an array (not sent by the commands used here) is kept as its message.
        items.push(item.value instanceof Error ? item.value.message : item.value);
        pos = item.end;
      }
      return { value: items, end: pos };
    }
    default:
      throw new Error(`not a RESP reply (type byte ${type})`);
  }
}

function lengthOf(line: string): number {
  const n = Number(line);
  if (!Number.isSafeInteger(n) || n < -1) throw new Error(`bad RESP length ${JSON.stringify(line.slice(0, 20))}`);
  return n;
}

/** A command as RESP: an array of bulk strings. */
export function encodeCommand(args: readonly string[]): string {
  let out = `*${args.length}\r\n`;
  for (const a of args) out += `$${Buffer.byteLength(a)}\r\n${a}\r\n`;
  return out;
}

interface Waiter {
  readonly resolve: (v: RespValue) => void;
  readonly reject: (err: Error) => void;
}

export interface RespOptions {
  /** redis://[user:password@]host[:port][/db] or rediss:// (TLS). */
  readonly url: string;
  readonly connectTimeoutMs: number;
  /** No byte from Redis for this long while a command waits: the socket is taken for dead. */
  readonly idleTimeoutMs: number;
}

export class RespConnection {
  private socket: net.Socket | undefined;
  private connecting: Promise<void> | undefined;
  private readonly waiters: Waiter[] = [];
  /** Bytes read that hold no whole reply yet, and the length they must reach before a reply can be whole. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private need = 0;
  private closed = false;

  constructor(private readonly options: RespOptions) {}

  /** Connected (AUTH and SELECT done), or a rejection saying why not. */
  connect(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the connection is closed'));
    if (this.socket !== undefined && this.connecting === undefined) return Promise.resolve();
    this.connecting ??= this.open().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  async command(args: readonly string[]): Promise<RespValue> {
    if (this.socket === undefined || this.connecting !== undefined) await this.connect();
    return this.send(args);
  }

  close(): void {
    this.closed = true;
    this.socket?.destroy();
  }

  private send(args: readonly string[]): Promise<RespValue> {
    const socket = this.socket;
    if (socket === undefined) return Promise.reject(new Error('not connected to Redis'));
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      socket.write(encodeCommand(args));
    });
  }

  private async open(): Promise<void> {
    const url = new URL(this.options.url);
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
    const port = Number(url.port || 6379);
    const secure = url.protocol === 'rediss:';
    const socket = secure ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host }) : net.connect({ host, port });
    socket.setNoDelay(true);
    this.pending = [];
    this.pendingBytes = 0;
    this.need = 0;
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.read(socket, chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      if (this.socket === socket) this.socket = undefined;
      for (const w of this.waiters.splice(0)) w.reject(new Error('the connection to Redis closed'));
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => socket.destroy(new Error(`no connection within ${this.options.connectTimeoutMs} ms`)), this.options.connectTimeoutMs);
      const done = (err?: Error) => {
        clearTimeout(timer);
        socket.off(secure ? 'secureConnect' : 'connect', ok);
        socket.off('close', closed);
        if (err) reject(err);
        else resolve();
      };
      const ok = () => done();
      let failure: Error | undefined;
      socket.once('error', (err) => (failure = err));
      const closed = () => done(failure ?? new Error('the connection to Redis closed'));
      socket.once(secure ? 'secureConnect' : 'connect', ok);
      socket.once('close', closed);
    });
    socket.setTimeout(this.options.idleTimeoutMs, () => {
      if (this.waiters.length > 0) socket.destroy(new Error(`no reply from Redis within ${this.options.idleTimeoutMs} ms`));
    });
    try {
      const password = decodeURIComponent(url.password);
      if (password) await this.expectOk(url.username ? ['AUTH', decodeURIComponent(url.username), password] : ['AUTH', password]);
      const db = Number(url.pathname.slice(1) || 0);
      if (db) await this.expectOk(['SELECT', String(db)]);
    } catch (err) {
      socket.destroy();
      throw err;
    }
  }

  private async expectOk(args: readonly string[]): Promise<void> {
    const r = await this.send(args);
    if (r !== 'OK') throw new Error(`${args[0]} answered ${JSON.stringify(r)}`);
  }

  /**
   * Replies in order, each to the command that waits longest; an error reply
   * rejects it. A reply that spans many reads (a large value) is parsed once
   * its bytes are all there, not once per read.
   */
  private read(socket: net.Socket, chunk: Buffer): void {
    if (this.socket !== socket) return;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes < this.need) return;
    let buf = this.pending.length === 1 ? chunk : Buffer.concat(this.pending, this.pendingBytes);
    let at = 0;
    this.need = 0;
    try {
      while (at < buf.length) {
        const r = parse(buf, at);
        if (typeof r === 'number') {
          this.need = r - at;
          break;
        }
        at = r.end;
        const w = this.waiters.shift();
        if (w === undefined) throw new Error('a reply that no command asked for');
        if (r.value instanceof Error) w.reject(r.value);
        else w.resolve(r.value);
      }
    } catch (err) {
      // Out of step with the server: nothing read from here on can be trusted.
      socket.destroy(err as Error);
      return;
    }
    buf = buf.subarray(at);
    this.pending = buf.length > 0 ? [buf] : [];
    this.pendingBytes = buf.length;
  }
}
