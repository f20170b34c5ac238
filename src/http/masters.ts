// The daemon's side of the app masters' HTTP sockets (master-socket.ts): which
// masters have one, and one request to a master with a deadline.
import { readdirSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { DroverPaths } from '../control/paths.js';
import { MASTER_HTTP_SUFFIX } from './master-socket.js';

export const APP_DEADLINE_MS = 2_000;

export function askMaster<T>(socketPath: string, urlPath: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath, path: urlPath, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        try {
          if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
          resolve(JSON.parse(body) as T);
        } catch (err) {
          reject(err as Error);
        }
      });
    });
    req.setTimeout(APP_DEADLINE_MS, () => req.destroy(new Error(`no answer within ${APP_DEADLINE_MS} ms`)));
    req.on('error', reject);
  });
}

/** The apps whose masters have an HTTP socket, by name. */
export function masterSockets(paths: DroverPaths): Array<{ name: string; socket: string }> {
  let files: string[];
  try {
    files = readdirSync(paths.apps);
  } catch {
    return [];
  }
  return files.filter((f) => f.endsWith(MASTER_HTTP_SUFFIX)).map((f) => ({ name: f.slice(0, -MASTER_HTTP_SUFFIX.length), socket: path.join(paths.apps, f) }));
}
