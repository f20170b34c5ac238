// The one splitter of the hub's length-prefixed frames (frame.ts), for both
// ends: the worker's hub client and the master's hub read into one reused
// buffer (net's `onread`: no Buffer, ArrayBuffer or stream 'data' event per
// read; accepted-onread.ts for the sockets the hub accepts), or 'data' chunks
// where a Node version does not allow that.
//
// The contract: next() hands out a frame that lies whole within a read as a
// view of it. `owned` says whether the caller may keep that frame: false when
// it is a view of a reused buffer (the caller's read buffer, or this reader's
// assembly buffer), valid only until the read ends or next() is called again;
// the caller decodes it at once, or copies it. A frame cut by the end of a
// read is copied, once, into a buffer of its full length as the reads arrive:
// with `reuseAssembly`, one buffer kept for the next cut frame (frames of up
// to REUSED_ASSEMBLY_MAX bytes; a 64 KB message never fits a 64 KB read with
// its header, so without it every such frame cost a fresh 64 KB allocation),
// otherwise a new one the caller owns. The length prefix is checked before
// anything is allocated: a peer that announces 64 MiB costs 4 bytes.
import { FrameTooLargeError, HEADER_BYTES } from './frame.js';

/** Frames up to this size are assembled in the reused buffer (reuseAssembly); larger ones in their own. */
export const REUSED_ASSEMBLY_MAX = 1024 * 1024;

export type OnFrame = (frame: Buffer, owned: boolean) => boolean;

const EMPTY = Buffer.alloc(0);

/** A copy of a frame in memory of its own (not a slice of Buffer's shared pool, which would keep 8 KB alive). */
export function ownCopy(frame: Buffer): Buffer {
  const copy = Buffer.allocUnsafeSlow(frame.length);
  frame.copy(copy);
  return copy;
}

export class FrameReader {
  /** The read being split: buf[pos, end). */
  private buf: Buffer = EMPTY;
  private pos = 0;
  private end = 0;
  /** buf is the caller's reused read buffer: views of it are not owned, and release() copies what is left of it. */
  private reused = false;
  /** The frame being assembled across reads (its full length), and how much of it has arrived. */
  private asm: Buffer | undefined;
  private asmHave = 0;
  private asmOwned = true;
  /** The assembly buffer kept between cut frames (reuseAssembly). */
  private spare: Buffer | undefined;
  /** The first bytes of a length prefix cut by the end of a read. */
  private readonly prefix = Buffer.alloc(4);
  private prefixHave = 0;
  /** Whether the frame next() returned last may be kept past the read and the next call (see the contract above). */
  owned = true;

  constructor(
    /** Largest acceptable frame, length prefix included. */
    public maxFrameBytes: number,
    private readonly reuseAssembly = false,
  ) {}

  /** Bytes read but not yet handed out as frames. */
  get bufferedBytes(): number {
    return this.end - this.pos + this.asmHave + this.prefixHave;
  }

  clear(): void {
    this.buf = EMPTY;
    this.pos = this.end = 0;
    this.reused = false;
    this.asm = this.spare = undefined;
    this.asmHave = this.prefixHave = 0;
  }

  /**
   * A read: buf[0, end). reused: the caller reads into buf again after this
   * read, so it must call release() when it stops taking frames from it.
   */
  push(buf: Buffer, end = buf.length, reused = false): void {
    if (end === 0) return;
    if (this.pos < this.end) {
      // The caller stopped taking frames mid-read (the hub's flow control) and more arrived: join them. Rare.
      const left = this.end - this.pos;
      const joined = Buffer.allocUnsafeSlow(left + end);
      this.buf.copy(joined, 0, this.pos, this.end);
      buf.copy(joined, left, 0, end);
      this.buf = joined;
      this.pos = 0;
      this.end = joined.length;
      this.reused = false;
      return;
    }
    this.buf = buf;
    this.pos = 0;
    this.end = end;
    this.reused = reused;
  }

  /** The next complete frame (length prefix included), or undefined: the reads so far hold no more. Throws FrameTooLargeError. */
  next(): Buffer | undefined {
    if (this.prefixHave > 0) {
      const n = Math.min(4 - this.prefixHave, this.end - this.pos);
      this.buf.copy(this.prefix, this.prefixHave, this.pos, this.pos + n);
      this.prefixHave += n;
      this.pos += n;
      if (this.prefixHave < 4) return this.drained();
      this.prefixHave = 0;
      const asm = this.startAssembly(this.frameLength(this.prefix, 0));
      this.prefix.copy(asm, 0, 0, 4);
      this.asmHave = 4;
    }
    const asm = this.asm;
    if (asm !== undefined) {
      const n = Math.min(asm.length - this.asmHave, this.end - this.pos);
      this.buf.copy(asm, this.asmHave, this.pos, this.pos + n);
      this.asmHave += n;
      this.pos += n;
      if (this.asmHave < asm.length) return this.drained();
      this.asm = undefined;
      this.asmHave = 0;
      this.owned = this.asmOwned;
      return asm;
    }
    const left = this.end - this.pos;
    if (left >= 4) {
      const length = this.frameLength(this.buf, this.pos);
      if (left >= length) {
        const frame = this.buf.subarray(this.pos, this.pos + length);
        this.pos += length;
        this.owned = !this.reused;
        return frame;
      }
      this.buf.copy(this.startAssembly(length), 0, this.pos, this.end);
      this.asmHave = left;
    } else if (left > 0) {
      this.buf.copy(this.prefix, 0, this.pos, this.end);
      this.prefixHave = left;
    }
    this.pos = this.end;
    return this.drained();
  }

  /** The caller is done with a reused read buffer: what it did not take yet is copied out of it. */
  release(): void {
    if (this.reused && this.pos < this.end) {
      this.buf = Buffer.from(this.buf.subarray(this.pos, this.end));
      this.pos = 0;
      this.end = this.buf.length;
    }
    this.reused = false;
    if (this.pos === this.end) this.buf = EMPTY;
  }

  /**
   * Every complete frame of one read into the caller's reused buffer, in
   * order, to onFrame(frame, owned); stops early when onFrame returns false
   * (the connection is gone: what is left is dropped). Throws FrameTooLargeError.
   */
  read(buf: Buffer, end: number, onFrame: OnFrame): void {
    this.push(buf, end, true);
    try {
      for (let frame = this.next(); frame !== undefined; frame = this.next()) {
        if (!onFrame(frame, this.owned)) return this.clear();
      }
    } catch (err) {
      this.clear();
      throw err;
    }
    this.release();
  }

  /** No frame yet: forget the read buffer (all of it is taken). */
  private drained(): undefined {
    this.buf = EMPTY;
    this.pos = this.end = 0;
    return undefined;
  }

  private startAssembly(length: number): Buffer {
    if (this.reuseAssembly && length <= REUSED_ASSEMBLY_MAX) {
      // Grown in powers of two from 64 KiB, so frames of slightly different sizes share one buffer.
      if (this.spare === undefined || this.spare.length < length) {
        let size = 64 * 1024;
        while (size < length) size *= 2;
        this.spare = Buffer.allocUnsafeSlow(size);
      }
      this.asm = this.spare.subarray(0, length);
      this.asmOwned = false;
    } else {
      this.asm = Buffer.allocUnsafeSlow(length);
      this.asmOwned = true;
    }
    return this.asm;
  }

  private frameLength(buf: Buffer, at: number): number {
    const length = buf.readUInt32BE(at) + 4;
    if (length > this.maxFrameBytes || length < HEADER_BYTES) throw new FrameTooLargeError(length, this.maxFrameBytes);
    return length;
  }
}
