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

  constructor(private readonly log: AppLog) {}

  write(wid: number, slot: OutputLabel, stream: 'out' | 'err', chunk: Buffer | null): void {
    const key = `${stream}:${wid}`;
    const held = this.held.get(key);
    if (chunk === null) {
      if (held) {
        this.held.delete(key);
        this.log.write(stream, slot, Buffer.concat([held, Buffer.from('\n')]));
      }
      return;
    }
    const buf = held ? Buffer.concat([held, chunk]) : chunk;
    const nl = buf.lastIndexOf(0x0a);
    if (nl === -1) {
      if (buf.length > WorkerOutput.MAX_HELD) {
        this.held.delete(key);
        this.log.write(stream, slot, Buffer.concat([buf, Buffer.from('\n')]));
      } else this.held.set(key, Buffer.from(buf));
      return;
    }
    this.log.write(stream, slot, buf.subarray(0, nl + 1));
    if (nl + 1 < buf.length) this.held.set(key, Buffer.from(buf.subarray(nl + 1)));
    else this.held.delete(key);
  }
}
