// Log line formatting: the timestamp (PM2's log_date_format uses dayjs tokens,
// so the common ones are accepted) and the text / JSON line shapes.

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

function offset(date: Date, sep: string): string {
  const minutes = -date.getTimezoneOffset();
  const sign = minutes >= 0 ? '+' : '-';
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}${sep}${pad(abs % 60)}`;
}

const TOKENS = /\[([^\]]*)]|YYYY|YY|MM|M|DD|D|HH|H|hh|h|mm|m|ss|s|SSS|A|a|ZZ|Z/g;

/**
 * dayjs-style tokens in local time: YYYY YY MM M DD D HH H hh h mm m ss s SSS
 * A a Z ZZ, and [literal text]. Without a format: ISO 8601 in UTC.
 */
export function formatDate(date: Date, format?: string): string {
  if (!format) return date.toISOString();
  return format.replace(TOKENS, (token, literal: string | undefined) => {
    if (literal !== undefined) return literal;
    const h = date.getHours();
    switch (token) {
      case 'YYYY':
        return String(date.getFullYear());
      case 'YY':
        return pad(date.getFullYear() % 100);
      case 'MM':
        return pad(date.getMonth() + 1);
      case 'M':
        return String(date.getMonth() + 1);
      case 'DD':
        return pad(date.getDate());
      case 'D':
        return String(date.getDate());
      case 'HH':
        return pad(h);
      case 'H':
        return String(h);
      case 'hh':
        return pad(h % 12 || 12);
      case 'h':
        return String(h % 12 || 12);
      case 'mm':
        return pad(date.getMinutes());
      case 'm':
        return String(date.getMinutes());
      case 'ss':
        return pad(date.getSeconds());
      case 's':
        return String(date.getSeconds());
      case 'SSS':
        return pad(date.getMilliseconds(), 3);
      case 'A':
        return h < 12 ? 'AM' : 'PM';
      case 'a':
        return h < 12 ? 'am' : 'pm';
      case 'Z':
        return offset(date, ':');
      case 'ZZ':
        return offset(date, '');
      default:
        return token;
    }
  });
}

export type LogStream = 'out' | 'err';

/** `<time> <worker>|<message>`; the worker is a number, or a word for lines drover writes itself. */
export function textLine(time: string, worker: number | string, message: string): string {
  return `${time} ${worker}|${message}\n`;
}

export function jsonLine(time: string, worker: number | string | null, stream: LogStream, message: string, extra?: Record<string, unknown>): string {
  return `${JSON.stringify({ time, worker, stream, msg: message, ...extra })}\n`;
}
