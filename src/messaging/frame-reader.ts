// Splits frames out of a socket read into one reused buffer (net's `onread`
// option): no Buffer, ArrayBuffer or stream 'data' event per read, which on
// a loaded 2-core machine was most of what a read cost besides the syscall.
//
// The contract that makes it safe: a frame that lies whole within one read is
// handed out as a view of the reused buffer, valid only until onFrame
// returns (owned = false); the caller decodes it at once, or copies it. A
// frame cut by the end of a read is copied, once, into a buffer of its full
// length as the reads arrive (owned = true: the caller may keep it). The
// length prefix is checked before anything is allocated, as FrameDecoder does.
import { FrameTooLargeError, HEADER_BYTES } from './frame.js';

export type OnFrame = (frame: Buffer, owned: boolean) => boolean;

export class FrameReader {
  /** The frame being assembled across reads, allocated to its full length. */
  private partial: Buffer | undefined;
  private have = 0;
  /** The first bytes of a length prefix cut by the end of a read. */
  private readonly prefix = Buffer.alloc(4);
  private prefixHave = 0;

  constructor(
    /** Largest acceptable frame, length prefix included. */
    public maxFrameBytes: number,
  ) {}

  get bufferedBytes(): number {
    return this.have + this.prefixHave;
  }

  clear(): void {
    this.partial = undefined;
    this.have = 0;
    this.prefixHave = 0;
  }

  /**
   * Hands every complete frame in buf[0, end) (after what earlier reads left)
   * to onFrame, in order; stops early when onFrame returns false (the
   * connection is gone). Throws FrameTooLargeError.
   */
  read(buf: Buffer, end: number, onFrame: OnFrame): void {
    let pos = 0;
    if (this.prefixHave > 0) {
      const n = Math.min(4 - this.prefixHave, end);
      buf.copy(this.prefix, this.prefixHave, 0, n);
      this.prefixHave += n;
      pos = n;
      if (this.prefixHave < 4) return;
      this.prefixHave = 0;
      this.partial = Buffer.allocUnsafeSlow(this.frameLength(this.prefix, 0));
      this.prefix.copy(this.partial, 0, 0, 4);
      this.have = 4;
    }
    const partial = this.partial;
    if (partial !== undefined) {
      const n = Math.min(partial.length - this.have, end - pos);
      buf.copy(partial, this.have, pos, pos + n);
      this.have += n;
      pos += n;
      if (this.have < partial.length) return;
      this.partial = undefined;
      this.have = 0;
      if (!onFrame(partial, true)) return;
    }
    while (end - pos >= 4) {
      const length = this.frameLength(buf, pos);
      if (end - pos < length) {
        const frame = Buffer.allocUnsafeSlow(length);
        buf.copy(frame, 0, pos, end);
        this.partial = frame;
        this.have = end - pos;
        return;
      }
      if (!onFrame(buf.subarray(pos, pos + length), false)) return;
      pos += length;
    }
    if (pos < end) {
      buf.copy(this.prefix, 0, pos, end);
      this.prefixHave = end - pos;
    }
  }

  private frameLength(buf: Buffer, at: number): number {
    const length = buf.readUInt32BE(at) + 4;
    if (length > this.maxFrameBytes || length < HEADER_BYTES) throw new FrameTooLargeError(length, this.maxFrameBytes);
    return length;
  }
}
