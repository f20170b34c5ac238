// The reload outcomes of a `drover run` master, in a small file that
// `drover signal-reload` (the ExecReload= of units for systemd < 253) waits
// on: systemd runs ExecReload= and considers the reload done when it exits,
// so it has to wait for the rolling reload to settle, and a signal carries no
// answer back.
//
// The file lives in $RUNTIME_DIRECTORY (systemd sets it for ExecStart= and
// ExecReload= alike from the unit's RuntimeDirectory=, and removes it at
// stop), so nothing is written outside a unit that asked for it.
//   { pid, settled, last: { id, outcome: 'reloaded' | 'failed' | 'refused', message } }
// `settled` counts reloads that ended in any way; a waiter compares it with
// the value it read before its SIGHUP.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { EventEmitter } from 'node:events';
import path from 'node:path';

export const RUN_STATE_FILE = 'drover-run.json';

export interface RunState {
  readonly pid: number;
  readonly settled: number;
  readonly last?: { readonly id?: number; readonly outcome: 'reloaded' | 'failed' | 'refused'; readonly message?: string };
}

/** The state file's path, or undefined without RUNTIME_DIRECTORY (it may list several directories: the first). */
export function runStatePath(env: Readonly<Record<string, string | undefined>> = process.env): string | undefined {
  const dir = env.RUNTIME_DIRECTORY?.split(':')[0];
  return dir && path.isAbsolute(dir) ? path.join(dir, RUN_STATE_FILE) : undefined;
}

export function readRunState(file: string): RunState | undefined {
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as RunState;
    return typeof value.pid === 'number' && typeof value.settled === 'number' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Keeps the file current for this master; undefined where there is no RUNTIME_DIRECTORY. */
export function attachRunState(app: EventEmitter, warn: (m: string) => void, env = process.env): { close(): void } | undefined {
  const file = runStatePath(env);
  if (!file) return undefined;
  let state: RunState = { pid: process.pid, settled: 0 };
  const write = () => {
    try {
      // Renamed into place: a waiter never reads half a file.
      writeFileSync(`${file}.tmp`, JSON.stringify(state), { mode: 0o644 });
      renameSync(`${file}.tmp`, file);
    } catch (err) {
      warn(`could not write ${file} (drover signal-reload waits on it): ${(err as Error).message}`);
    }
  };
  const settle = (outcome: 'reloaded' | 'failed' | 'refused') => (e: { id?: number; message?: string }) => {
    state = { pid: process.pid, settled: state.settled + 1, last: { id: e.id, outcome, message: e.message } };
    write();
  };
  const handlers: Array<[string, (e: { id?: number; message?: string }) => void]> = [
    ['reloaded', settle('reloaded')],
    ['reload-failed', settle('failed')],
    ['reload-refused', settle('refused')],
  ];
  for (const [event, fn] of handlers) app.on(event, fn);
  write();
  return {
    close() {
      for (const [event, fn] of handlers) app.off(event, fn);
    },
  };
}
