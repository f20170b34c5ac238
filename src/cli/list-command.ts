// `drover list`, the command run most often, in a module of its own:
// cli/prestart.ts answers it with this, the daemon client and the output
// helpers only, without the command line program or actions.ts (the option
// table, the config helpers), which is what keeps it near `node -e 0`.
import type { AppSummary } from '../control/records.js';
import { connectDaemon } from './daemon-client.js';
import { formatBytes, formatDuration, paint, printJson, statusColor, table, useColor } from './output.js';

const out = (line = '') => process.stdout.write(`${line}\n`);

export async function listCommand(options: { json?: boolean }): Promise<number> {
  const client = (await connectDaemon({ start: true }))!;
  let rows: AppSummary[];
  try {
    rows = await client.call('list', {}, { timeoutMs: 15_000 });
  } finally {
    client.close();
  }
  if (options.json) {
    printJson(rows);
    return 0;
  }
  if (rows.length === 0) {
    out('no apps running: start one with drover start <script|config>');
    return 0;
  }
  const color = useColor();
  const body = rows.map((r) => [
    paint(r.name, 'bold', color),
    r.mode,
    `${r.ready}/${r.desired}`,
    String(r.restarts + r.masterRestarts),
    r.status === 'online' ? formatDuration(r.uptimeMs) : '-',
    `${r.cpu.toFixed(1)}%`,
    formatBytes(r.memory),
    paint(r.status, statusColor(r.status), color),
  ]);
  out(table(['name', 'mode', 'workers', 'restarts', 'uptime', 'cpu', 'memory', 'status'], body, new Set([2, 3, 4, 5, 6])));
  // The reason an app is errored is part of the listing (stdout), not an error of this command.
  for (const r of rows) if (r.lastError && r.status === 'errored') out(`${paint(r.name, 'bold', color)} ${paint('errored', 'red', color)}: ${r.lastError.message} [${r.lastError.code}]`);
  return 0;
}
