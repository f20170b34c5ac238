// The commander definitions of `drover dashboard` and `drover monit` (what they do: dashboard.ts, monit.ts, loaded on use).
import { Option, type Command } from 'commander';
import { DroverError } from '../errors.js';

export function addDashboardCommand(program: Command, setResult: (p: Promise<number>) => void): void {
  program
    .command('dashboard')
    .description("print the URL (with its token) of the dashboard and metrics of all apps; serves it until Ctrl-C when the daemon does not (DROVER_HTTP_PORT)")
    .addOption(
      new Option('--port <port>', 'port when serving here (default DROVER_HTTP_PORT, else a free one)').argParser((raw) => {
        const port = Number(raw);
        if (!/^\d+$/.test(raw) || port > 65535) throw new DroverError('DROVER_E_INVALID_OPTION', `--port expects a port (0..65535), got ${JSON.stringify(raw)}`);
        return port;
      }),
    )
    .addOption(new Option('--host <host>', 'address when serving here (default 127.0.0.1)'))
    .exitOverride()
    .configureOutput({ writeErr: () => {}, outputError: () => {} })
    .action((opts: { port?: number; host?: string }) => setResult(import('./dashboard.js').then((m) => m.dashboardCommand(opts))));
  program
    .command('monit')
    .description("live table of the daemon's apps and workers (CPU and memory sparklines, events); q or Ctrl-C quits")
    .exitOverride()
    .configureOutput({ writeErr: () => {}, outputError: () => {} })
    .action(() => setResult(import('./monit.js').then((m) => m.monitCommand())));
}
