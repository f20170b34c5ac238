// The client side of the control protocol, typed by a command map
// (ControlClient<DaemonCommands> for the CLI, ControlClient<MasterCommands>
// for the daemon). Its pending requests are the messaging layer's table
// (messaging/rpc.ts): one place decides when a request ends, and every
// pending call is rejected when the connection drops.
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { DroverError, type ErrorCode } from '../errors.js';
import { PendingRequests } from '../messaging/rpc.js';
import type { ArgsOf, CommandMap, CommandName, ResultOf } from './commands.js';
import { ControlFrameDecoder, encodeControlFrame, fromWireError, type ControlFrame } from './wire.js';

export interface CallOptions {
  readonly onEvent?: (event: string, data: unknown) => void;
  /** Default: none (the caller decides; a reload can take minutes). */
  readonly timeoutMs?: number;
}

export interface ConnectOptions {
  readonly timeoutMs?: number;
  /** The error pending calls are rejected with when the connection drops. */
  readonly lostCode?: ErrorCode;
  readonly lostMessage?: string;
}

/** What a pending call carries besides its promise. */
interface CallTag {
  readonly onEvent?: (event: string, data: unknown) => void;
}

export class ControlClient<M extends CommandMap> extends EventEmitter {
  private readonly pending = new PendingRequests<CallTag>();
  private closed = false;

  private constructor(
    private readonly socket: net.Socket,
    private readonly options: ConnectOptions,
  ) {
    super();
    const decoder = new ControlFrameDecoder();
    socket.on('data', (chunk: Buffer) => {
      let frames: unknown[];
      try {
        frames = decoder.push(chunk);
      } catch (err) {
        this.fail(err as Error);
        socket.destroy();
        return;
      }
      for (const frame of frames) this.onFrame(frame as ControlFrame);
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      this.fail(this.lost('the control connection closed before the reply'));
      this.emit('close');
    });
  }

  static connect<M extends CommandMap>(socketPath: string, options: ConnectOptions = {}): Promise<ControlClient<M>> {
    return new Promise((resolve, reject) => {
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
        resolve(new ControlClient<M>(socket, options));
      });
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Arguments may be left out when every one is optional. */
  call<C extends CommandName<M>>(
    command: C,
    ...rest: {} extends ArgsOf<M, C> ? [args?: ArgsOf<M, C>, options?: CallOptions] : [args: ArgsOf<M, C>, options?: CallOptions]
  ): Promise<ResultOf<M, C>> {
    const [args = {}, options = {}] = rest as [ArgsOf<M, C> | undefined, CallOptions | undefined];
    if (this.closed) return Promise.reject(this.lost('the control connection is closed'));
    const id = this.pending.nextSeq();
    const timeoutMs = options.timeoutMs ?? 0;
    const result = this.pending.add<ResultOf<M, C>>(id, {
      what: `control command "${command}"`,
      timeoutMs,
      tag: { onEvent: options.onEvent },
      timeoutError: () => new DroverError(this.options.lostCode ?? 'DROVER_E_DAEMON_UNREACHABLE', `no answer to "${command}" within ${timeoutMs} ms`),
    });
    try {
      this.socket.write(encodeControlFrame({ id, command, args }));
    } catch (err) {
      this.pending.reject(id, err as Error);
    }
    return result;
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

  private lost(fallback: string): DroverError {
    return new DroverError(this.options.lostCode ?? 'DROVER_E_DAEMON_UNREACHABLE', this.options.lostMessage ?? fallback);
  }

  private onFrame(frame: ControlFrame): void {
    if ('event' in frame) {
      const tag = this.pending.tagOf(frame.id);
      if (tag) tag.onEvent?.(frame.event, frame.data);
      else this.emit('event', frame.event, frame.data);
      return;
    }
    if (!('ok' in frame)) return;
    if (!this.pending.has(frame.id)) {
      // id 0: the server refused a frame it could not attribute.
      if (frame.id === 0 && frame.ok === false) this.fail(fromWireError(frame.error));
      return;
    }
    if (frame.ok) this.pending.resolve(frame.id, frame.data);
    else this.pending.reject(frame.id, fromWireError(frame.error));
  }

  private fail(err: Error): void {
    this.pending.rejectAll(() => err);
  }
}
