// Terminal output of the CLI: tables, durations, sizes, colours. Colours only
// on a TTY, never with NO_COLOR set (https://no-color.org) or TERM=dumb.
import { fstatSync, writeSync } from 'node:fs';

const colorAllowed = (env: NodeJS.ProcessEnv): boolean => (env.NO_COLOR === undefined || env.NO_COLOR === '') && env.TERM !== 'dumb';

export function useColor(stream: NodeJS.WriteStream = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  return colorAllowed(env) && stream.isTTY === true;
}

/**
 * useColor() for stdout, decided without creating process.stdout: for a pipe
 * that stream is a net.Socket, ~1.4 ms of CPU on Node 20 in a `drover list`
 * of ~20 ms above Node's start-up (issue 17). The same test (isTTY is
 * isatty(1)), and only a character device can be a terminal, so a pipe or a
 * file is answered by one fstat, without loading node:tty (~0.7 ms).
 */
export function stdoutColor(env: NodeJS.ProcessEnv = process.env): boolean {
  if (!colorAllowed(env)) return false;
  try {
    if (!fstatSync(1).isCharacterDevice()) return false;
  } catch {
    return false; // fd 1 closed: process.stdout is then no TTY either
  }
  // process.getBuiltinModule: Node >= 20.16 / 22.3.
  const tty = process.getBuiltinModule?.('node:tty');
  return tty ? tty.isatty(1) : process.stdout.isTTY === true;
}

/**
 * Writes all of text to fd 1 before it returns, without process.stdout (see
 * stdoutColor). A non-blocking fd 1 that is full (EAGAIN) or any other error
 * (EPIPE: the reader is gone) hands the rest to process.stdout, which reports
 * it as it always did.
 */
export function writeStdout(text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  let done = 0;
  try {
    while (done < bytes.length) done += writeSync(1, bytes, done);
  } catch {
    process.stdout.write(bytes.subarray(done));
  }
}

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, gray: 90, bold: 1 } as const;
export type Color = keyof typeof CODES;

export function paint(text: string, color: Color, enabled: boolean): string {
  return enabled ? `\u001b[${CODES[color]}m${text}\u001b[0m` : text;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;
const width = (s: string): number => s.replace(ANSI, '').length;

/** Left-aligned columns, two spaces apart; numeric columns right-aligned. */
export function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>, rightAligned: ReadonlySet<number> = new Set()): string {
  const widths = headers.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ''))));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => {
        const pad = ' '.repeat(widths[i]! - width(c));
        return rightAligned.has(i) ? pad + c : i === cells.length - 1 ? c : c + pad;
      })
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return '0s';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}

export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n <= 0) return '0 B';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 || i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

export function statusColor(status: string): Color {
  switch (status) {
    case 'online':
      return 'green';
    case 'errored':
      return 'red';
    case 'stopped':
      return 'gray';
    default:
      return 'yellow';
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
