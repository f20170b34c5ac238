// The control protocol's wire format, for the daemon's control socket, each
// app master's control socket and every client (CLI, library, dashboard).
// Not to be confused with the master↔worker IPC envelope (src/protocol/) or
// the message hub's binary frames (src/messaging/frame.ts).
//
// A frame is a 4-byte big-endian length, then that many bytes of UTF-8 JSON.
//   request  {id, command, args}
//   event    {id, event, data}         0..n per request (progress, watch streams)
//   reply    {id, ok: true, data} | {id, ok: false, error: {code, message, ...}}
// Frames are bounded (MAX_CONTROL_FRAME_BYTES) both ways; a peer that sends a
// bigger or malformed frame is disconnected.
import { CATALOG, DroverError, isDroverError, type ErrorCode } from '../errors.js';

export const MAX_CONTROL_FRAME_BYTES = 8 * 1024 * 1024;

export interface WireError {
  readonly code: string;
  readonly message: string;
  readonly [key: string]: unknown;
}

export type ControlFrame =
  | { readonly id: number; readonly command: string; readonly args?: unknown }
  | { readonly id: number; readonly event: string; readonly data?: unknown }
  | { readonly id: number; readonly ok: true; readonly data?: unknown }
  | { readonly id: number; readonly ok: false; readonly error: WireError };

export function encodeControlFrame(value: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(value), 'utf8');
  if (body.length > MAX_CONTROL_FRAME_BYTES) {
    throw new DroverError('DROVER_E_PROTOCOL', `a control frame of ${body.length} bytes is over the limit of ${MAX_CONTROL_FRAME_BYTES} bytes`);
  }
  const head = Buffer.allocUnsafe(4);
  head.writeUInt32BE(body.length, 0);
  return Buffer.concat([head, body]);
}

/** Cuts a control socket's byte stream into frames; throws DROVER_E_PROTOCOL on a bad one. */
export class ControlFrameDecoder {
  private buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): unknown[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const out: unknown[] = [];
    while (this.buffer.length >= 4) {
      const length = this.buffer.readUInt32BE(0);
      if (length > MAX_CONTROL_FRAME_BYTES) {
        throw new DroverError('DROVER_E_PROTOCOL', `a control frame announces ${length} bytes, over the limit of ${MAX_CONTROL_FRAME_BYTES}`);
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
