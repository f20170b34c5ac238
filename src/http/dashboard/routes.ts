// The dashboard's routes on the shared HTTP server: the page and its two
// files, the apps as JSON, the live stream, the actions and the log tail.
// Writes need the token (cookie or Bearer) like everything else, a JSON body
// (a cross-site form cannot send one without a CORS preflight), and the
// server's own Origin when a browser sends one (server.ts).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isDroverError } from '../../errors.js';
import { send, sendJson, type Route } from '../server.js';
import { LiveStreams } from './live.js';
import { redacting } from './redacting-source.js';
import { ACTIONS, type ActionName, type DashboardSource } from './source.js';
// Not import.meta: this module is also built as CommonJS (it is in the app master's module graph).
import { PACKAGE_DIR } from '../../platform/install-dir.cjs';

const ASSETS: Record<string, string> = {
  '/': 'index.html',
  '/assets/app.js': 'app.js',
  '/assets/style.css': 'style.css',
};
const TYPES: Record<string, string> = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };
const ASSET_DIR = pathToFileURL(path.join(PACKAGE_DIR, 'public/dashboard/'));

function readBody(req: IncomingMessage, limit = 4096): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      body += c;
      if (body.length > limit) reject(new Error('body too large'));
    });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

const STATUS: Record<string, number> = { DROVER_E_APP_NOT_FOUND: 404, DROVER_E_INVALID_OPTION: 400, DROVER_E_RELOAD_REFUSED: 409, DROVER_E_RELOAD_FAILED: 409, DROVER_E_STOPPED: 409 };

/** secrets: literal values never to show (the endpoint's token), besides what redactLine() finds by pattern. */
export function dashboardRoutes(raw: DashboardSource, secrets: readonly string[] = []): { routes: Route[]; close(): void } {
  const source = redacting(raw, secrets);
  const live = new LiveStreams(source);
  const asset = (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const file = ASSETS[url.pathname]!;
    // Read per request: small files, and a dashboard is opened rarely.
    send(res, 200, readFileSync(new URL(file, ASSET_DIR), 'utf8'), TYPES[file.split('.').pop()!]);
  };
  const action = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const [, , , app, name] = url.pathname.split('/');
    if (!app || !ACTIONS.includes(name as ActionName)) return sendJson(res, 404, { error: { message: `unknown action: use one of ${ACTIONS.join(', ')}` } });
    if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) return sendJson(res, 415, { error: { message: 'send a JSON body (content-type: application/json)' } });
    let args: { instances?: unknown };
    try {
      args = JSON.parse((await readBody(req)) || '{}') as { instances?: unknown };
    } catch {
      return sendJson(res, 400, { error: { message: 'the body is not JSON' } });
    }
    const instances = args.instances === undefined ? undefined : Number(args.instances);
    try {
      const result = await source.act(decodeURIComponent(app), name as ActionName, { instances });
      sendJson(res, 200, { ok: true, result });
    } catch (err) {
      const code = isDroverError(err) ? err.code : 'DROVER_E_INTERNAL';
      sendJson(res, STATUS[code] ?? 500, { error: { code, message: (err as Error).message } });
    }
  };
  const logs = async (_req: IncomingMessage, res: ServerResponse, url: URL) => {
    const app = decodeURIComponent(url.pathname.split('/')[3] ?? '');
    const n = Math.min(500, Math.max(1, Number(url.searchParams.get('lines')) || 100));
    sendJson(res, 200, { lines: (await source.logTail(app, n)) ?? null });
  };
  const routes: Route[] = [
    ...Object.keys(ASSETS).map((path): Route => ({ method: 'GET', path, handle: asset })),
    { method: 'GET', path: '/favicon.ico', handle: (_req, res) => void res.writeHead(204).end() },
    { method: 'GET', path: '/api/apps', handle: async (_req, res) => sendJson(res, 200, { apps: await source.apps() }) },
    { method: 'GET', path: '/api/events', handle: (req, res, url) => live.open(req, res, url) },
    { method: 'GET', path: '/api/logs/', handle: logs },
    { method: 'POST', path: '/api/apps/', handle: action },
  ];
  return {
    routes,
    close: () => {
      live.close();
      source.close();
    },
  };
}
