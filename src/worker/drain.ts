// Draining one server without losing a request.
//
// The trap: on Node >= 19, http.Server#close() also closes "idle" keep-alive
// sockets, and a socket is idle to Node even when the client's next request is
// already in the kernel buffer but not yet read; that request is lost. So we
// stop accepting with net.Server#close() only, answer every further response
// with `Connection: close` (the client then closes and reconnects to another
// worker), and close a keep-alive socket ourselves only after it has stayed
// idle for the server's keepAliveTimeout; whatever is left is destroyed at the
// deadline.
//
// Why keepAliveTimeout and not a short grace: closing an idle keep-alive
// socket races the client's next request on it (ECONNRESET), and only the
// timeout the server advertised (`Keep-Alive: timeout=5`) is one clients are
// built to respect. A 250 ms grace lost requests under load: a busy client
// (seen under Node 24 at load 20) paused 300-400 ms between two requests on a
// socket, which drover then destroyed as its request arrived. Closing at
// keepAliveTimeout is what Node does to an idle socket without drover, so a
// drain loses nothing Node would not; an app that wants faster drains lowers
// server.keepAliveTimeout.
//
// Hot path: outside a drain, a request costs a counter increment and two
// property reads, a connection a Set entry and one shared 'close' listener;
// per-request listeners are added only while draining.
import http from 'node:http';
import type net from 'node:net';

const SWEEP_MS = 50;

const kShed = Symbol('drover.shed');
const kIdleSince = Symbol('drover.idleSince');
const kTracker = Symbol('drover.tracker');

interface TrackedSocket extends net.Socket {
  [kShed]?: boolean;
  /** While draining: when the socket's last response finished; undefined while a request is in flight. */
  [kIdleSince]?: number;
  [kTracker]?: ServerTracker;
  /** Node's http server: the response being written on this socket, if any. */
  _httpMessage?: http.ServerResponse | null;
}

function onTrackedClose(this: TrackedSocket): void {
  const tracker = this[kTracker];
  if (!tracker) return;
  tracker.sockets.delete(this);
  tracker.onClose?.();
}

export class ServerTracker {
  readonly sockets = new Set<TrackedSocket>();
  draining = false;
  readonly isHttp: boolean;
  /** Requests served (HTTP) or connections accepted (other servers), for maxRequests. */
  requests = 0;
  /** Called with each connection that closes (the master counts open connections). */
  onClose: (() => void) | undefined;

  constructor(readonly server: net.Server) {
    this.isHttp = server instanceof http.Server;
    server.on('connection', (socket: TrackedSocket) => {
      if (!this.isHttp) this.requests++;
      this.sockets.add(socket);
      // One shared listener, no closure per connection ('close' fires once).
      socket[kTracker] = this;
      socket.on('close', onTrackedClose);
    });
    if (this.isHttp) {
      // Runs before the app's handler, so the header is set before any write.
      server.prependListener('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
        this.requests++;
        const socket = req.socket as TrackedSocket;
        if (this.draining) {
          res.shouldKeepAlive = false;
          this.watchResponse(socket, res);
        } else if (socket[kShed]) {
          res.shouldKeepAlive = false;
        }
      });
    }
  }

  private watchResponse(socket: TrackedSocket, res: http.ServerResponse): void {
    socket[kIdleSince] = undefined;
    res.once('close', () => (socket[kIdleSince] = Date.now()));
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

  private drained: Promise<void> | undefined;

  /** Node's server.keepAliveTimeout (default 5 s); 0 (never time out) leaves idle sockets to the deadline. */
  private idleGraceMs(): number {
    const timeout = (this.server as http.Server).keepAliveTimeout;
    return typeof timeout === 'number' && timeout > 0 ? timeout : Infinity;
  }

  /**
   * Stops accepting and resolves once every connection is gone, or at the
   * deadline. Idempotent: the app's own close() and drover's shutdown share one drain.
   */
  drain(deadline: number, close: (cb: () => void) => void): Promise<void> {
    this.drained ??= this.startDrain(deadline, close);
    return this.drained;
  }

  private startDrain(deadline: number, close: (cb: () => void) => void): Promise<void> {
    this.draining = true;
    const start = Date.now();
    for (const socket of this.sockets) {
      const res = socket._httpMessage;
      if (this.isHttp && res && !res.writableEnded) {
        if (!res.headersSent) res.shouldKeepAlive = false;
        this.watchResponse(socket, res);
      } else {
        socket[kIdleSince] = start;
      }
    }
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
      const idleGraceMs = this.idleGraceMs();
      const sweep = setInterval(() => {
        // The close callback never fires for a server the app had closed already.
        if (this.sockets.size === 0 && !this.server.listening) return finish();
        if (!this.isHttp) return;
        const now = Date.now();
        for (const socket of this.sockets) {
          const idleSince = socket[kIdleSince];
          if (idleSince !== undefined && now - idleSince >= idleGraceMs) socket.destroy();
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
