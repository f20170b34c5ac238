// Under the daemon, each app master answers the daemon's HTTP endpoint on a
// unix socket beside its control socket: DROVER_HOME/apps/<name>.http.sock
// (0600 in a 0700 directory: the file system is the authentication, as for
// the control sockets). GET /metrics.json → this app's families as prom-client
// JSON; GET /health.json → its liveness and readiness. prom-client is loaded
// at the master's start when DROVER_HTTP_PORT is set, else on the first
// request (lifecycle counts before that are then not in the counters).
// node:http itself loads at the first connection (the socket listens with
// node:net, already loaded): the daemon asks a master only when its own HTTP
// endpoint is asked, and Node 24's http modules are ~0.7 MB of private memory
// in every idle master (issue 17, docs/daemon.md).
import { chmodSync, unlinkSync } from 'node:fs';
import type http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import type { AppMetrics } from '../metrics/app-metrics.js';
import type { AppSupervisor as Supervisor } from '../runtime/supervisor.js';
import { EventRing } from './dashboard/ring.js';
import type { LogEvent } from './dashboard/source.js';
import { SupervisorSource } from './dashboard/supervisor-source.js';
import { supervisorHealth } from './supervisor-health.js';

export const MASTER_HTTP_SUFFIX = '.http.sock';

export function masterHttpSocket(appsDir: string, name: string): string {
  return path.join(appsDir, `${name}${MASTER_HTTP_SUFFIX}`);
}

function unlink(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // gone already
  }
}

export interface MasterSocketOptions {
  /** Load prom-client and count lifecycle events from the start. */
  readonly eager: boolean;
  readonly minReady: number | undefined;
  readonly perWorker: boolean;
  readonly intervalMs?: number;
  readonly logStats?: () => { readonly dropped: number };
}

export async function serveMasterSocket(supervisor: Supervisor, socketPath: string, o: MasterSocketOptions): Promise<{ close(): void }> {
  let metrics: Promise<AppMetrics> | undefined;
  const load = () => (metrics ??= import('../metrics/app-metrics.js').then((m) => m.AppMetrics.create(supervisor, { perWorker: o.perWorker, intervalMs: o.intervalMs, logStats: o.logStats })));
  if (o.eager) await load();
  // The dashboard's view of this master and its event log, which the daemon's dashboard polls.
  const dashboard = new SupervisorSource(supervisor);
  const ring = new EventRing<LogEvent>(500);
  dashboard.subscribe((e) => ring.push(e));
  const handle = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const reply = (status: number, value: unknown) => {
      const body = JSON.stringify(value);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    if (req.method !== 'GET') return reply(405, { error: 'method not allowed' });
    if (req.url === '/health.json') return reply(200, supervisorHealth(supervisor, o.minReady, () => false));
    if (req.url === '/dashboard/apps.json') return void dashboard.apps().then((apps) => reply(200, { apps }));
    if (req.url?.startsWith('/dashboard/log.json')) {
      const after = new URL(req.url, 'http://master').searchParams.get('after');
      return reply(200, ring.since(after === null ? undefined : Number(after)));
    }
    if (req.url !== '/metrics.json') return reply(404, { error: 'not found' });
    load()
      .then((m) => m.json())
      .then(
        (families) => reply(200, { families }),
        (err: Error) => reply(500, { error: err.message }),
      );
  };
  let httpServer: Promise<http.Server> | undefined;
  const sockets = new Set<net.Socket>();
  // pauseOnConnect: nothing is read until http's parser has the socket, whatever the import takes.
  const server = net.createServer({ pauseOnConnect: true }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    httpServer ??= import('node:http').then((m) => m.createServer(handle));
    httpServer.then(
      (h) => {
        if (socket.destroyed) return;
        h.emit('connection', socket);
        socket.resume();
      },
      () => socket.destroy(),
    );
  });
  unlink(socketPath);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  chmodSync(socketPath, 0o600);
  server.unref();
  // A master that dies leaves the file; the daemon skips a socket nobody answers on.
  const onExit = () => unlink(socketPath);
  process.once('exit', onExit);
  return {
    close: () => {
      process.off('exit', onExit);
      dashboard.close();
      server.close();
      for (const socket of sockets) socket.destroy();
      unlink(socketPath);
    },
  };
}
