// Where an app's log files are, for the app log (which writes them) and for
// the daemon and CLI (which show them).
import path from 'node:path';

/** An app's log files: outFile/errorFile (relative ones under the log directory), else <name>-out.log / <name>-error.log. */
export function logFiles(dir: string, name: string, logs: { readonly outFile?: string; readonly errorFile?: string } = {}): { out: string; err: string } {
  return { out: path.resolve(dir, logs.outFile ?? `${name}-out.log`), err: path.resolve(dir, logs.errorFile ?? `${name}-error.log`) };
}
