// Drover's own messages on Node's IPC channel cannot be authenticated: app
// code in the worker can call process.send({cmd: 'NODE_DROVER', kind: …})
// exactly as the runtime does. What a spoofed message can do is therefore
// bounded here instead:
// - 'online' and 'exiting' are sent once per process by the runtime; a
//   repeat is dropped and counted as a strike (a spoofed 'exiting' costs the
//   worker itself a replacement, nothing more: the core ignores it once the
//   worker is being replaced, and restarts are bounded by the restart window);
// - the runtime's other messages are few per second (a heartbeat reply,
//   coalesced 'closed' counts, one 'listen' per server): beyond ipcRateLimit
//   per second they are dropped, and every second of flooding is a strike;
// - malformed ones are dropped and are strikes.
// Offences are logged at most once a second per worker.
import { monotonicMs } from '../platform/clock.js';
import { TokenBucket } from './token-bucket.js';

export interface IpcGuardOptions {
  readonly ratePerSecond: number;
  readonly offense: (wid: number, pid: number | undefined, what: string, details: Record<string, unknown>) => void;
  readonly strike: (wid: number, reason: string) => void;
  /** Monotonic ms; tests pass a fake clock. */
  readonly now?: () => number;
}

interface WorkerIpc {
  online: boolean;
  exiting: boolean;
  /** Undefined when there is no rate limit. */
  readonly bucket: TokenBucket | undefined;
}

const ONCE = new Set(['online', 'exiting']);

export class IpcGuard {
  private readonly workers = new Map<number, WorkerIpc>();
  private readonly now: () => number;

  constructor(private readonly options: IpcGuardOptions) {
    this.now = options.now ?? (monotonicMs);
  }

  /** Whether the supervisor should act on a valid drover IPC message of `kind` from worker `wid`. */
  admit(wid: number, pid: number | undefined, kind: string): boolean {
    const w = this.state(wid);
    if (ONCE.has(kind)) {
      const key = kind as 'online' | 'exiting';
      if (w[key]) {
        this.options.offense(wid, pid, `sent '${kind}' a second time (spoofed by app code?): ignored`, { event: 'ipc-abuse', kind });
        this.options.strike(wid, `repeated '${kind}' on the IPC channel`);
        return false;
      }
      w[key] = true;
      return true;
    }
    if (!w.bucket || w.bucket.take()) return true;
    const rate = this.options.ratePerSecond;
    if (w.bucket.reportDue()) {
      this.options.offense(wid, pid, `floods the IPC channel (more than ${rate} drover messages/s): dropping them`, { event: 'ipc-abuse', kind });
      this.options.strike(wid, `IPC flood (more than ${rate}/s)`);
    }
    return false;
  }

  /** A drover IPC message that failed validation. */
  malformed(wid: number, pid: number | undefined, error: string): void {
    this.options.offense(wid, pid, `sent a malformed drover IPC message: ${error}`, { event: 'bad-message', error, kind: `malformed ${error.split(':')[0]!.slice(0, 40)}` });
    this.options.strike(wid, `malformed IPC message (${error})`);
  }

  forget(wid: number): void {
    this.workers.delete(wid);
  }

  private state(wid: number): WorkerIpc {
    let w = this.workers.get(wid);
    if (!w) {
      const rate = this.options.ratePerSecond;
      w = { online: false, exiting: false, bucket: rate > 0 ? new TokenBucket(rate, this.now) : undefined };
      this.workers.set(wid, w);
    }
    return w;
  }
}
