// A daemon-run app master's log settings and its own log lines, which go into
// the app's log files as `drover|<message>` lines.
import type { LogLevel } from '../../core/enums.js';
import type { LogOptions } from '../../config/log-options.js';
import { parseSize } from '../../config/size.js';
import { createLineLogger, type Logger } from '../../logs/line-logger.js';
import type { AppLog, RotateOptions } from '../../logs/index.js';

/** Log settings of the app: its log options, else DROVER_LOG_* from the environment of `drover start`, else the defaults. */
export function logSettings(
  logs: Readonly<LogOptions>,
  env: Readonly<Record<string, string | undefined>>,
): { outFile?: string; errorFile?: string; rotate: RotateOptions; json: boolean; dateFormat: string | undefined; fileMode?: number } {
  const on = (v: string | undefined) => v === '1' || v === 'true';
  const maxSize = logs.logMaxSize !== undefined ? parseSize(logs.logMaxSize) : env.DROVER_LOG_MAX_SIZE ? parseSize(env.DROVER_LOG_MAX_SIZE) : 10 * 1024 * 1024;
  const keep = logs.logKeep ?? (env.DROVER_LOG_KEEP !== undefined && /^\d+$/.test(env.DROVER_LOG_KEEP) ? Number(env.DROVER_LOG_KEEP) : 5);
  return {
    outFile: logs.outFile,
    errorFile: logs.errorFile,
    rotate: { maxSize: maxSize > 0 ? maxSize : undefined, daily: logs.logDaily ?? on(env.DROVER_LOG_DAILY), keep, gzip: logs.logGzip ?? on(env.DROVER_LOG_GZIP) },
    json: logs.logJson ?? on(env.DROVER_LOG_JSON),
    dateFormat: logs.logDateFormat ?? (env.DROVER_LOG_DATE_FORMAT || undefined),
    fileMode: logs.logFileMode !== undefined ? parseInt(logs.logFileMode, 8) : undefined, // issue 15: default 0600
  };
}

/** A logger whose lines become `drover|<message>` lines in the app log (warn and above to the error file). */
export function appLogger(log: AppLog, level: LogLevel, name: string): Logger {
  return createLineLogger({
    level,
    base: { app: name },
    timestamp: false,
    sink: (line) => {
      const record = JSON.parse(line) as { level: number; msg?: string };
      log.writeLine(record.level >= 40 ? 'err' : 'out', 'drover', record.msg ?? line.trim());
    },
  });
}
