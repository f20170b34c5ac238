// Reused memory for large outgoing frames (issue 17). A frame of 64 KB built
// in a fresh Buffer.allocUnsafe is a malloc that is freed only when a
// scavenge collects its Buffer: a worker answering 64 KB requests frees its
// replies in batches at the top of glibc's heap, which trims them (brk down)
// and grows again for the next replies (brk up, fresh pages). Measured on this
// VM, text 64 KB x 1: ~1 brk call per 3 round trips and 6.4 minor page faults
// per round trip in drover's worker, against 0.45 in the bare echo's.
//
// The contract: alloc(size) hands out a Buffer of exactly size bytes, a view
// of a pooled one when size is within [POOLED_MIN_BYTES, POOLED_MAX_BYTES];
// written(frame) is the callback to pass to socket.write(frame, cb) for a
// frame alloc() made: it puts the memory back when the write is done (written
// or failed; net calls it once libuv holds the bytes no more). A frame that is
// never written is simply collected, as any Buffer. Nothing else may keep a
// pooled frame past its write (frames recorded for a resend are not pooled).
export const POOLED_MIN_BYTES = 16 * 1024;
export const POOLED_MAX_BYTES = 1024 * 1024;
/** Free memory kept for the next frames while messages flow: 32 replies of 64 KB in flight at once fit. */
export const POOL_KEEP_BYTES = 4 * 1024 * 1024;

/** Pooled memory is handed out in multiples of this, so frames of slightly different sizes share buffers. */
const GRAIN = 8 * 1024;

/** The free memory, and its total; held weakly (SendPool#free). */
interface Free {
  readonly list: ArrayBuffer[];
  bytes: number;
}

export class SendPool {
  // The free memory is held through a WeakRef: kept while messages flow, dropped at the process's next full
  // collection once they stop (V8 runs one when the process goes idle), so a worker that once sent large
  // messages does not keep up to POOL_KEEP_BYTES for good. A WeakRef's target lives at least until the end of
  // the job that created or read it, so the memory a burst releases is there for the next burst.
  private freeRef: WeakRef<Free> | undefined;
  /** Every ArrayBuffer this pool made: what written() may take back. */
  private readonly ours = new WeakSet<ArrayBuffer>();

  /** A Buffer of size bytes (contents undefined); arrow, to be passed as encodeFrame's allocator. */
  readonly alloc = (size: number): Buffer => {
    if (size < POOLED_MIN_BYTES || size > POOLED_MAX_BYTES) return Buffer.allocUnsafe(size);
    const free = this.freeRef?.deref();
    if (free !== undefined) {
      const { list } = free;
      for (let i = list.length - 1; i >= 0; i--) {
        const ab = list[i]!;
        if (ab.byteLength < size) continue;
        list[i] = list[list.length - 1]!;
        list.pop();
        free.bytes -= ab.byteLength;
        return Buffer.from(ab, 0, size);
      }
    }
    const ab = new ArrayBuffer(Math.ceil(size / GRAIN) * GRAIN);
    this.ours.add(ab);
    return Buffer.from(ab, 0, size);
  };

  /** Whether frame's memory comes back through written(): write it with socket.write(frame, pool.written(frame)). */
  pooled(frame: Buffer): boolean {
    return this.ours.has(frame.buffer as ArrayBuffer);
  }

  /** The write callback that returns frame's memory to the pool. */
  written(frame: Buffer): () => void {
    const ab = frame.buffer as ArrayBuffer;
    return () => this.release(ab);
  }

  /** Free memory held now (what a full collection may drop). */
  get freeBytes(): number {
    return this.freeRef?.deref()?.bytes ?? 0;
  }

  private release(ab: ArrayBuffer): void {
    let free = this.freeRef?.deref();
    if (free === undefined) {
      free = { list: [], bytes: 0 };
      this.freeRef = new WeakRef(free);
    }
    if (free.bytes + ab.byteLength > POOL_KEEP_BYTES) return;
    free.list.push(ab);
    free.bytes += ab.byteLength;
  }
}
