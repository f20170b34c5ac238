import type { LogLevel } from '../core/enums.js';
import { createLineLogger, type Logger } from '../logs/line-logger.js';

export type { Logger };

/** Structured log lines on stdout, one per event (written synchronously to fd 1). */
export function createLogger(level: string, bindings: Record<string, unknown>): Logger {
  return createLineLogger({ level: level as LogLevel, base: bindings });
}
