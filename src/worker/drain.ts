// Draining one server without losing a request.
//
// The trap: on Node >= 19, http.Server#close() also closes "idle" keep-alive
// sockets, and a socket is idle to Node even when the client's next request is
// already in the kernel buffer but not yet read; that request is lost. So we
// stop accepting with net.Server#close() only, answer every further response
// with `Connection: close` (the client then closes and reconnects to another
// worker), and close a keep-alive socket ourselves only after it has stayed
// idle for a grace period; whatever is left is destroyed at the deadline.
import http from 'node:http';
import type net from 'node:net';

const IDLE_GRACE_MS = 250;
const SWEEP_MS = 50;

const kInflight = Symbol('drover.inflight');
const kShed = Symbol('drover.shed');
const kIdleSince = Symbol('drover.idleSince');

interface TrackedSocket extends net.Socket {
  [kShed]?: boolean;
  [kInflight]?: number;
  [kIdleSince]?: number;
}

export class ServerTracker {
  readonly sockets = new Set<TrackedSocket>();
  private readonly responses = new Set<http.ServerResponse>();
  draining = false;
  readonly isHttp: boolean;
  /** Requests served (HTTP) or connections accepted (other servers), for maxRequests. */
  requests = 0;

  /** Called with each connection that closes (the master counts open connections). */
  onClose: (() => void) | undefined;

  constructor(readonly server: net.Server) {
    this.isHttp = server instanceof http.Server;
    server.on('connection', (socket: TrackedSocket) => {
      socket[kInflight] = 0;
      socket[kIdleSince] = Date.now();
      if (!this.isHttp) this.requests++;
      this.sockets.add(socket);
      socket.once('close', () => {
        this.sockets.delete(socket);
        this.onClose?.();
      });
    });
    if (this.isHttp) {
      // Runs before the app's handler, so the header is set before any write.
      server.prependListener('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
        const socket = req.socket as TrackedSocket;
        this.requests++;
        socket[kInflight] = (socket[kInflight] ?? 0) + 1;
        if (this.draining || socket[kShed]) res.shouldKeepAlive = false;
        else this.responses.add(res);
        res.once('close', () => {
          this.responses.delete(res);
          socket[kInflight] = Math.max(0, (socket[kInflight] ?? 1) - 1);
          socket[kIdleSince] = Date.now();
        });
      });
    }
  }

  /**
   * Rebalancing: n keep-alive connections answer their next response with
   * `Connection: close`, so their clients reconnect through the balancer.
   * Nothing is cut; a connection that never sends again is left alone.
   */
  shed(n: number): void {
    if (!this.isHttp) return;
    for (const socket of this.sockets) {
      if (n <= 0) break;
      if (socket[kShed]) continue;
      socket[kShed] = true;
      n--;
    }
  }

  /** Stops accepting and resolves once every connection is gone, or at the deadline. */
  drain(deadline: number, close: (cb: () => void) => void): Promise<void> {
    this.draining = true;
    for (const res of this.responses) {
      if (!res.headersSent) res.shouldKeepAlive = false;
    }
    this.responses.clear();
    const start = Date.now();
    return new Promise((resolve) => {
      let finished = false;
      const finish = () => {
        if (finished) return;
        finished = true;
        clearInterval(sweep);
        clearTimeout(hardStop);
        resolve();
      };
      close(finish);
      const sweep = setInterval(() => {
        // The close callback never fires for a server the app had closed already.
        if (this.sockets.size === 0 && !this.server.listening) return finish();
        if (!this.isHttp) return;
        const now = Date.now();
        for (const socket of this.sockets) {
          const idleSince = Math.max(socket[kIdleSince] ?? start, start);
          if ((socket[kInflight] ?? 0) === 0 && now - idleSince >= IDLE_GRACE_MS) socket.destroy();
        }
      }, SWEEP_MS);
      sweep.unref();
      const hardStop = setTimeout(() => {
        for (const socket of this.sockets) socket.destroy();
        finish();
      }, Math.max(0, deadline - Date.now()));
      hardStop.unref();
    });
  }
}
