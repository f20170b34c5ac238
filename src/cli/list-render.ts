// What `drover list` prints for the daemon's rows: the one renderer of both
// ways a list is answered (list-command.ts, list-fast.ts), so they cannot
// drift apart.
import type { AppSummary } from '../control/records.js';
import { formatBytes, formatDuration, paint, statusColor, table, useColor } from './output.js';

/** The text for stdout, newline-terminated. */
export function renderList(rows: readonly AppSummary[], options: { json?: boolean; color?: boolean } = {}): string {
  if (options.json) return `${JSON.stringify(rows, null, 2)}\n`;
  if (rows.length === 0) return 'no apps running: start one with drover start <script|config>\n';
  const color = options.color ?? useColor();
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
  const lines = [table(['name', 'mode', 'workers', 'restarts', 'uptime', 'cpu', 'memory', 'status'], body, new Set([2, 3, 4, 5, 6]))];
  // The reason an app is errored is part of the listing (stdout), not an error of this command.
  for (const r of rows) if (r.lastError && r.status === 'errored') lines.push(`${paint(r.name, 'bold', color)} ${paint('errored', 'red', color)}: ${r.lastError.message} [${r.lastError.code}]`);
  return `${lines.join('\n')}\n`;
}
