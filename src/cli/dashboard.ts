// `drover dashboard`: prints the URL (with the token) of the HTTP endpoint
// for all the daemon's apps. When the daemon serves one (DROVER_HTTP_PORT at
// its start), that one; otherwise this command serves it in the foreground
// until Ctrl-C, reading the app masters' sockets as the daemon would.
import { readFileSync } from 'node:fs';
import { droverPaths, ensureHome } from '../control/paths.js';
import { daemonHttpPort } from '../daemon/http-hooks.js';

interface HttpInfo {
  readonly pid: number;
  readonly origin: string;
}

function running(file: string): HttpInfo | undefined {
  try {
    const info = JSON.parse(readFileSync(file, 'utf8')) as HttpInfo;
    process.kill(info.pid, 0);
    return info;
  } catch {
    return undefined;
  }
}

export async function dashboardCommand(opts: { port?: number; host?: string }): Promise<number> {
  const paths = droverPaths();
  ensureHome(paths);
  const { httpSettings } = await import('../http/options.js');
  const { serveDaemon, httpInfoFile } = await import('../http/serve-daemon.js');
  const settings = httpSettings({ host: opts.host ?? (process.env.DROVER_HTTP_HOST || '127.0.0.1'), port: opts.port ?? daemonHttpPort(process.env) ?? 0, token: undefined, healthPublic: false });
  const link = (origin: string) => `${origin}/?token=${encodeURIComponent(settings.token.token)}`;
  const existing = running(httpInfoFile(paths));
  if (existing) {
    process.stdout.write(`${link(existing.origin)}\n`);
    return 0;
  }
  const endpoint = await serveDaemon(paths, settings);
  process.stdout.write(`${link(endpoint.origin)}\n`);
  process.stderr.write(`drover: serving the dashboard and /metrics /livez /readyz for all apps until Ctrl-C\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await endpoint.close();
  return 0;
}
