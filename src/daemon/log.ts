// The daemon's own log (stderr, appended to DROVER_HOME/logs/daemon.log) and
// what it reads back from the masters' log.
import { readFileSync } from 'node:fs';
import { DroverError, type ErrorCode } from '../errors.js';

export function log(message: string): void {
  process.stderr.write(`${new Date().toISOString()} ${message}\n`);
}

/** The `drover: <message> [CODE]` line a master writes to its log before it exits on an error. */
export function lastErrorLine(file: string, name: string): DroverError | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').slice(-16384);
  } catch {
    return undefined;
  }
  const lines = text
    .trim()
    .split('\n')
    .filter((l) => l.includes(`[${name}] `))
    .reverse();
  for (const line of lines) {
    const m = /drover: (.*) \[(DROVER_E_[A-Z_]+)\]$/.exec(line);
    if (m) return new DroverError(m[2] as ErrorCode, m[1]!);
  }
  const tail = lines.slice(0, 5).reverse().join(' | ');
  return tail ? new DroverError('DROVER_E_MASTER_DIED', `the app master exited: ${tail}`) : undefined;
}
