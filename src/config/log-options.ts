// Options of an app's log files, which the daemon's app master writes (the
// foreground `drover run` writes worker output to its own stdout/stderr, so
// these belong to `drover start` and config files, not to supervise()).
// Where a key is not given, DROVER_LOG_* in the environment of `drover start`
// decides, then the default.
import { SIZE_PATTERN } from './size.js';
import { z } from 'zod';
import type { SuperviseOptions } from './schema.js';

const size = z.union([z.number().int().min(0), z.string().regex(SIZE_PATTERN, 'a size such as 10M, 512K or a number of bytes')]);

export const logOptionsSchema = z.object({
  /** stdout of every worker; relative paths are under DROVER_HOME/logs. Default <name>-out.log. The same path as errorFile merges both. */
  outFile: z.string().min(1).optional(),
  /** stderr of every worker. Default <name>-error.log. */
  errorFile: z.string().min(1).optional(),
  /** Timestamp format, dayjs tokens (PM2's log_date_format), e.g. "YYYY-MM-DD HH:mm:ss Z". Default ISO 8601 UTC. */
  logDateFormat: z.string().min(1).optional(),
  /** Rotate a log file before it grows past this size (bytes or e.g. "10M"; 0: no size limit). Default 10M. */
  logMaxSize: size.optional(),
  /** Rotated files kept per log file. Default 5. */
  logKeep: z.number().int().min(0).optional(),
  /** Rotate at the first line of each new day. */
  logDaily: z.boolean().optional(),
  /** gzip rotated files. */
  logGzip: z.boolean().optional(),
  /** JSON lines ({time, worker, stream, msg}) instead of text. */
  logJson: z.boolean().optional(),
});

export type LogOptions = z.input<typeof logOptionsSchema>;
/** One app of `drover start` or a config file. */
export type AppOptions = SuperviseOptions & LogOptions;
export type LogOptionName = keyof LogOptions;
export const LOG_OPTION_NAMES = Object.keys(logOptionsSchema.shape) as LogOptionName[];
