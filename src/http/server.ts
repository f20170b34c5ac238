// One small node:http server for /metrics, /livez, /readyz and the dashboard.
// Every response carries a strict CSP and no-store; every request must name
// this server in Host (and Origin, when a browser sends one) and carry the
// token, except the health routes when healthPublic is on.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { DroverError } from '../errors.js';
import { COOKIE, hostAllowed, originAllowed, requestToken, tokenMatcher } from './auth.js';

export type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;

export interface Route {
  readonly method: 'GET' | 'POST';
  /** An exact path, or a prefix when it ends with '/' ('/' itself is exact). */
  readonly path: string;
  /** Answered without the token when the server's healthPublic is on (/livez, /readyz only). */
  readonly health?: boolean;
  readonly handle: Handler;
}

export interface HttpServerOptions {
  readonly host: string;
  readonly port: number;
  readonly token: string;
  readonly healthPublic: boolean;
  readonly routes: readonly Route[];
  readonly onError?: (err: Error) => void;
}

export interface HttpEndpoint {
  readonly host: string;
  readonly port: number;
  /** http://host:port (IPv6 hosts in brackets). */
  readonly origin: string;
  close(): Promise<void>;
}

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
} as const;

export function send(res: ServerResponse, status: number, body: string | Buffer, type = 'text/plain; charset=utf-8', headers: Record<string, string> = {}): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, `${JSON.stringify(value)}\n`, 'application/json; charset=utf-8');
}

export { SECURITY_HEADERS };

function findRoute(routes: readonly Route[], pathname: string): Route[] {
  return routes.filter((r) => (r.path.length > 1 && r.path.endsWith('/') ? pathname.startsWith(r.path) : pathname === r.path));
}

/**
 * A request whose target is exactly a route's path, with no query (a
 * scraper's GET /metrics, a probe's /livez), skips URL parsing and the route
 * search: its URL and candidates are worked out once, here (such a target
 * parses to that very path). Handlers must treat `url` as read-only.
 */
function exactTargets(routes: readonly Route[]): Map<string, { url: URL; candidates: Route[] }> {
  const out = new Map<string, { url: URL; candidates: Route[] }>();
  for (const r of routes) {
    if (out.has(r.path) || !r.path.startsWith('/') || /[?#%\\]|\/\.{1,2}(\/|$)|\/\//.test(r.path)) continue;
    const url = new URL(r.path, 'http://drover.invalid');
    if (url.pathname === r.path) out.set(r.path, { url, candidates: findRoute(routes, r.path) });
  }
  return out;
}

export function createHandler(options: Omit<HttpServerOptions, 'port'>): (req: IncomingMessage, res: ServerResponse) => void {
  const exact = exactTargets(options.routes);
  const tokenOk = tokenMatcher(options.token);
  return (req, res) => {
    const host = req.headers.host;
    if (!hostAllowed(host, options.host)) return send(res, 403, 'forbidden: the Host header does not name this server\n');
    if (!originAllowed(req.headers.origin, host)) return send(res, 403, 'forbidden: cross-origin request\n');
    const known = exact.get(req.url ?? '/');
    let url: URL;
    if (known) url = known.url;
    else {
      try {
        url = new URL(req.url ?? '/', 'http://drover.invalid');
      } catch {
        return send(res, 400, 'bad request\n');
      }
    }
    const candidates = known ? known.candidates : findRoute(options.routes, url.pathname);
    if (candidates.length === 0) return send(res, 404, 'not found\n');
    const route = candidates.find((r) => r.method === req.method || (r.method === 'GET' && req.method === 'HEAD'));
    if (!route) return send(res, 405, 'method not allowed\n', undefined, { allow: [...new Set(candidates.map((r) => r.method))].join(', ') });

    const fromQuery = known ? undefined : (url.searchParams.get('token') ?? undefined);
    const authorised = tokenOk(fromQuery ?? requestToken(req));
    if (!authorised && !(route.health && options.healthPublic)) {
      return send(res, 401, 'unauthorised: send the token as "Authorization: Bearer <token>" (drover dashboard prints a link with it)\n', undefined, {
        'www-authenticate': 'Bearer realm="drover"',
      });
    }
    // The link `drover dashboard` prints carries the token once; the browser keeps it as a cookie that no script can read.
    if (authorised && fromQuery !== undefined) res.setHeader('set-cookie', `${COOKIE}=${options.token}; HttpOnly; SameSite=Strict; Path=/`);
    Promise.resolve()
      .then(() => route.handle(req, res, url))
      .catch((err: Error) => {
        options.onError?.(err);
        send(res, 500, 'internal error\n');
      });
  };
}

export function startHttpServer(options: HttpServerOptions): Promise<HttpEndpoint> {
  const server = http.createServer(createHandler(options));
  // Scrapers and probes are short requests; a slow client must not hold a socket for ever.
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const where = `${options.host}:${options.port}`;
      const why = err.code === 'EADDRINUSE' ? 'the port is in use' : err.code === 'EACCES' ? 'permission denied' : err.code === 'EADDRNOTAVAIL' ? 'the address is not on this machine' : err.message;
      reject(new DroverError('DROVER_E_HTTP_LISTEN', `cannot serve HTTP on ${where}: ${why}: choose another port (0 picks a free one) or host`, { host: options.host, port: options.port }));
    });
    server.listen(options.port, options.host, () => {
      const a = server.address() as { address: string; port: number; family: string };
      const hostText = a.family === 'IPv6' ? `[${a.address}]` : a.address;
      resolve({
        host: a.address,
        port: a.port,
        origin: `http://${hostText}:${a.port}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
