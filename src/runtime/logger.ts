import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured log lines on stdout, one per event (pino writes synchronously to fd 1). */
export function createLogger(level: string, bindings: Record<string, unknown>): Logger {
  return pino({ level, base: { ...bindings, pid: undefined }, messageKey: 'msg' });
}
