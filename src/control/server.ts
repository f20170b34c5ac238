// The server side of the control protocol: a unix socket (0600) whose
// requests go to a handler table typed by a command map (commands.ts).
// Writes to a peer that does not read are bounded: past MAX_PENDING_BYTES of
// unsent output the connection is dropped rather than buffered without limit
// (PM2's daemon grows to GBs that way).
import { chmodSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { DroverError } from '../errors.js';
import type { ArgsOf, CommandMap, CommandName, ResultOf } from './commands.js';
import { ControlFrameDecoder, encodeControlFrame, toWireError } from './wire.js';

const MAX_PENDING_BYTES = 16 * 1024 * 1024;

export interface RequestContext {
  /** A progress or stream event for this request. */
  emit(event: string, data?: unknown): void;
  /** Aborted when the client disconnects. */
  readonly signal: AbortSignal;
}

/** One function per command of M. */
export type CommandHandlers<M extends CommandMap> = {
  readonly [C in CommandName<M>]: (args: ArgsOf<M, C>, ctx: RequestContext) => ResultOf<M, C> | Promise<ResultOf<M, C>>;
};

export interface ServeOptions {
  /** Runs before every command (the daemon waits until it has booted). */
  readonly before?: () => Promise<void>;
  /** The error for a command the table does not have. */
  readonly unknownCommand?: (command: string) => Error;
  /** Runs after every command has settled, answered or failed (the daemon's idle GC). */
  readonly after?: () => void;
}

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
  socket.write(encodeControlFrame(value));
}

async function dispatch<M extends CommandMap>(handlers: CommandHandlers<M>, options: ServeOptions, command: string, args: object, ctx: RequestContext): Promise<unknown> {
  await options.before?.();
  // Own properties only: "constructor" or "__proto__" from a peer is an unknown command.
  if (!Object.hasOwn(handlers, command)) {
    throw options.unknownCommand?.(command) ?? new DroverError('DROVER_E_PROTOCOL', `unknown control command "${command}"`);
  }
  const handler = handlers[command as CommandName<M>] as (args: object, ctx: RequestContext) => unknown;
  try {
    return await handler(args, ctx);
  } finally {
    options.after?.();
  }
}

/**
 * Listens on a unix socket (mode 0600; a stale socket file must have been
 * removed by the caller, who knows whether its owner is alive).
 */
export function listenControl<M extends CommandMap>(socketPath: string, handlers: CommandHandlers<M>, options: ServeOptions = {}): Promise<ControlServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    const abort = new AbortController();
    const decoder = new ControlFrameDecoder();
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
        const args = f.args && typeof f.args === 'object' ? f.args : {};
        const ctx: RequestContext = { emit: (event, data) => writeFrame(socket, { id, event, data }), signal: abort.signal };
        dispatch(handlers, options, f.command, args, ctx).then(
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
