// Closing a server whose connections the master hands over (faux handle)
// without losing the hand-offs that are already on their way.
//
// The race: the master writes hand-offs into the IPC pipe until it learns that
// this worker left the balancer. Those still unread when the worker exits die
// with the pipe: the kernel closes their fds and the clients get a reset (3 to
// 26 per three reloads under new-connection-per-request load, issue 15). A
// refused connection (conn-back) is lost the same way when the worker exits
// before the write that carries it back has completed.
//
// Contract: the worker says `unlisten` for a key; the master takes it out of
// that balancer and answers `unlisten-ok`. The channel is a stream, so every
// hand-off the master wrote before its answer is read before the answer, and is
// sent back (conn-back). Until the answer has come and every conn-back on that
// key is written, the server counts one more connection: net.Server then emits
// 'close' (and runs the close callback the app waits for before it exits) only
// after nothing of it is left in the pipe, in either direction. The hold ends
// at a deadline whatever happens, so a master that never answers cannot keep
// a worker alive; its kill deadline comes first anyway.
import type net from 'node:net';

interface ServerInternals {
  _connections: number;
  _emitCloseIfDrained?: () => void;
}

interface Hold {
  readonly server: net.Server;
  acked: boolean;
  readonly timer: NodeJS.Timeout;
}

export class CloseBarrier {
  private readonly holds = new Map<string, Hold[]>();
  /** conn-back writes not yet completed, per key. */
  private readonly writing = new Map<string, number>();
  private readonly idle: Array<() => void> = [];

  constructor(private readonly maxHoldMs: number) {}

  /** The faux handle of `server` on `key` closed and `unlisten` was sent: keep `server` open until the answer. */
  hold(key: string, server: net.Server): void {
    (server as unknown as ServerInternals)._connections++;
    // Not unref'd: an app that closes its last server and has nothing else to
    // do must still read the pipe up to the answer before its loop ends.
    const hold: Hold = { server, acked: false, timer: setTimeout(() => this.release(key, hold), this.maxHoldMs) };
    let list = this.holds.get(key);
    if (!list) this.holds.set(key, (list = []));
    list.push(hold);
  }

  /** The master's `unlisten-ok`: nothing more for `key` follows in the pipe. */
  acked(key: string): void {
    const hold = this.holds.get(key)?.find((h) => !h.acked);
    if (!hold) return;
    hold.acked = true;
    if (!this.writing.get(key)) this.release(key, hold);
  }

  /** Wraps the completion callback of a conn-back write on `key`. */
  sending(key: string, done: () => void): () => void {
    this.writing.set(key, (this.writing.get(key) ?? 0) + 1);
    return () => {
      done();
      const left = (this.writing.get(key) ?? 1) - 1;
      if (left > 0) return void this.writing.set(key, left);
      this.writing.delete(key);
      for (const hold of this.holds.get(key) ?? []) if (hold.acked) this.release(key, hold);
      this.maybeIdle();
    };
  }

  /** Resolves once no hold is left and no conn-back is being written (the worker may exit). */
  settled(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private release(key: string, hold: Hold): void {
    const list = this.holds.get(key);
    const i = list?.indexOf(hold) ?? -1;
    if (!list || i < 0) return;
    list.splice(i, 1);
    if (list.length === 0) this.holds.delete(key);
    clearTimeout(hold.timer);
    const internals = hold.server as unknown as ServerInternals;
    internals._connections--;
    internals._emitCloseIfDrained?.call(hold.server);
    this.maybeIdle();
  }

  private isIdle(): boolean {
    return this.holds.size === 0 && this.writing.size === 0;
  }

  private maybeIdle(): void {
    if (!this.isIdle()) return;
    for (const resolve of this.idle.splice(0)) resolve();
  }
}
