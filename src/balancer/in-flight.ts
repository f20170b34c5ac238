// Hand-offs a worker has not reported receiving yet, and what becomes of them
// when it dies.
//
// The race (issue 15): once the fd is written to the IPC pipe, the master used
// to close its own copy. A worker that dies (SIGKILL, a crash) with hand-offs
// still unread in its pipe, or that died just before the master wrote more
// (Node calls the send callback with no error even when the write fails with
// EPIPE), took those connections with it: their clients got a reset although
// no worker ever saw them. So the master keeps its copy of each hand-off until
// the worker's cumulative `got` report covers it (a few ms; at most
// HANDOFF_WINDOW per worker), and when the worker is gone (exited and its
// channel read to the end, so every report and conn-back it sent is in),
// rescue() sorts what is left:
// - a connection with unread bytes in its socket's receive queue was not
//   consumed by the dead worker (whatever it read, the kernel no longer has):
//   it goes to a live worker, request and all;
// - one without (the worker read the request, or the client has not sent
//   anything yet) is closed, as before.
// The receive queue is read from /proc/net/tcp{,6} (rx_queue), matched by the
// local and remote port; unix-socket listeners have no such view and are
// closed. Known gap: a dead worker that had half-answered a pipelined request
// and left the next one unread would have that connection continued by
// another worker; that takes a kill within a few ms of the hand-off.
import { readFileSync } from 'node:fs';

export interface HeldHandle {
  close(cb?: () => void): void;
  getpeername?(out: Record<string, unknown>): number;
  getsockname?(out: Record<string, unknown>): number;
}

export class InFlight<H extends HeldHandle> {
  /** In write order; null: sent back by the worker (conn-back), nothing to keep. */
  private readonly held: Array<H | null> = [];
  private covered = 0;
  /** Reported before its write callback ran (an async write): closed as soon as it is pushed. */
  private debt = 0;

  /** The fd is in the pipe; keep our copy until the worker reports it. */
  push(handle: H): void {
    if (this.debt > 0) {
      this.debt--;
      handle.close();
      return;
    }
    this.held.push(handle);
  }

  /** The worker's cumulative count of hand-offs received. */
  ack(got: number): void {
    let n = got - this.covered;
    if (n <= 0) return;
    this.covered = got;
    while (n > 0 && this.held.length > 0) {
      this.held.shift()?.close();
      n--;
    }
    this.debt += n;
  }

  /** The worker sent back `handle` (another fd of one of ours): our copy of it is not to be rescued. */
  returned(handle: HeldHandle): void {
    const peer = peerKey(handle);
    if (peer === undefined) return;
    const i = this.held.findIndex((h) => h !== null && peerKey(h) === peer);
    if (i < 0) return;
    this.held[i]!.close();
    this.held[i] = null;
  }

  get size(): number {
    return this.held.length;
  }

  /** The worker is gone: returns the copies whose request is still unread; closes the others. */
  rescue(): H[] {
    const handles = this.held.splice(0).filter((h): h is H => h !== null);
    if (handles.length === 0) return [];
    const unread = unreadSockets();
    const keep: H[] = [];
    for (const h of handles) {
      const key = socketKey(h);
      if (key !== undefined && unread.has(key)) keep.push(h);
      else h.close();
    }
    return keep;
  }

  closeAll(): void {
    for (const h of this.held.splice(0)) h?.close();
  }
}

function peerKey(h: HeldHandle): string | undefined {
  const out: Record<string, unknown> = {};
  return h.getpeername?.(out) === 0 ? `${String(out.address)}:${String(out.port)}` : undefined;
}

/** "localPort/remotePort" of a TCP connection. */
function socketKey(h: HeldHandle): string | undefined {
  const local: Record<string, unknown> = {};
  const remote: Record<string, unknown> = {};
  if (h.getsockname?.(local) !== 0 || h.getpeername?.(remote) !== 0) return undefined;
  return `${Number(local.port)}/${Number(remote.port)}`;
}

/** "localPort/remotePort" of every TCP socket with bytes in its receive queue. */
function unreadSockets(): Set<string> {
  const out = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'latin1');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 5) continue;
      const rx = parseInt(f[4]!.split(':')[1] ?? '0', 16);
      if (!(rx > 0)) continue;
      const localPort = parseInt(f[1]!.split(':')[1] ?? '', 16);
      const remotePort = parseInt(f[2]!.split(':')[1] ?? '', 16);
      out.add(`${localPort}/${remotePort}`);
    }
  }
  return out;
}
