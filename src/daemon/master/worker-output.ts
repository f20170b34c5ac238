// A daemon-run app master captures its workers' output through pipes.
import type { AppLog, OutputLabel } from '../../logs/index.js';

/**
 * Pipes deliver chunks that end anywhere. Lines are assembled per worker
 * process (wid), so the old and the new worker of a slot during a reload never
 * mix their halves of a line, and handed to the log labelled with the slot
 * (the worker id users know: DROVER_WORKER_ID), or 'agent' for the agent's lines.
 */
export class WorkerOutput {
  private readonly held = new Map<string, Buffer>();
  private static readonly MAX_HELD = 64 * 1024;
  /** The last stderr lines of any worker, for the error of a failed start (`drover start` prints them). */
  private readonly lastErr: string[] = [];
  static readonly LAST_ERR_LINES = 20;
  /** stderr pipes that wrote and have not ended: a worker's last words may still be on their way after its exit. */
  private readonly openErr = new Set<number>();
  private readonly onSettled = new Set<() => void>();

  constructor(private readonly log: AppLog) {}

  /** The last stderr lines, once every stderr pipe that wrote has ended (or after maxWaitMs). */
  async recentErrors(maxWaitMs = 1000): Promise<string[]> {
    if (this.openErr.size > 0) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.onSettled.delete(done);
          resolve();
        };
        const timer = setTimeout(done, maxWaitMs);
        this.onSettled.add(done);
      });
    }
    return [...this.lastErr];
  }

  private keepErr(slot: OutputLabel, text: string): void {
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      this.lastErr.push(`[${slot}] ${line.length > 500 ? `${line.slice(0, 500)}…` : line}`);
      if (this.lastErr.length > WorkerOutput.LAST_ERR_LINES) this.lastErr.shift();
    }
  }

  write(wid: number, slot: OutputLabel, stream: 'out' | 'err', chunk: Buffer | null): void {
    if (stream === 'err') {
      if (chunk === null) {
        this.openErr.delete(wid);
        if (this.openErr.size === 0) for (const fn of [...this.onSettled]) fn();
      } else this.openErr.add(wid);
    }
    this.capture(wid, slot, stream, chunk);
  }

  private emit(stream: 'out' | 'err', slot: OutputLabel, buf: Buffer): void {
    if (stream === 'err') this.keepErr(slot, buf.toString('utf8'));
    this.log.write(stream, slot, buf);
  }

  private capture(wid: number, slot: OutputLabel, stream: 'out' | 'err', chunk: Buffer | null): void {
    const key = `${stream}:${wid}`;
    const held = this.held.get(key);
    if (chunk === null) {
      if (held) {
        this.held.delete(key);
        this.emit(stream, slot, Buffer.concat([held, Buffer.from('\n')]));
      }
      return;
    }
    const buf = held ? Buffer.concat([held, chunk]) : chunk;
    const nl = buf.lastIndexOf(0x0a);
    if (nl === -1) {
      if (buf.length > WorkerOutput.MAX_HELD) {
        this.held.delete(key);
        this.emit(stream, slot, Buffer.concat([buf, Buffer.from('\n')]));
      } else this.held.set(key, Buffer.from(buf));
      return;
    }
    this.emit(stream, slot, buf.subarray(0, nl + 1));
    if (nl + 1 < buf.length) this.held.set(key, Buffer.from(buf.subarray(nl + 1)));
    else this.held.delete(key);
  }
}
