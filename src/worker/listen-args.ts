// Parses the many shapes of net.Server#listen() into what the master needs.
// null means "not ours": the original listen() handles it (a handle or fd,
// exclusive: true, reusePort, or arguments Node itself would reject).
import path from 'node:path';
import type { ListenAddress } from '../protocol/messages.js';

export interface ListenRequest {
  readonly address: ListenAddress;
  readonly backlog: number | undefined;
  readonly callback: ((...args: unknown[]) => void) | undefined;
}

type Fn = (...args: unknown[]) => void;

function toPort(value: unknown): number | null {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 && value <= 65535 ? value : null;
  if (typeof value === 'string' && /^\d{1,5}$/.test(value)) return toPort(Number(value));
  return null;
}

function pipePath(p: string): string {
  // Abstract sockets ("\0name") have no file: leave them as they are.
  return p.startsWith('\0') ? p : path.resolve(p);
}

export function parseListenArgs(args: readonly unknown[]): ListenRequest | null {
  const last = args[args.length - 1];
  const callback = typeof last === 'function' ? (last as Fn) : undefined;
  const rest = callback ? args.slice(0, -1) : args;
  const first = rest[0];

  if (typeof first === 'object' && first !== null) {
    const o = first as Record<string, unknown>;
    if ('handle' in o || '_handle' in o || 'fd' in o || o.exclusive === true || o.reusePort === true) return null;
    const backlog = typeof o.backlog === 'number' ? o.backlog : undefined;
    if (typeof o.path === 'string' && o.path.length > 0) {
      return { address: { type: 'pipe', path: pipePath(o.path) }, backlog, callback };
    }
    const port = toPort(o.port);
    if (port === null) return null;
    const host = typeof o.host === 'string' && o.host.length > 0 ? o.host : null;
    return { address: { type: 'tcp', host, port, ipv6Only: o.ipv6Only === true }, backlog, callback };
  }

  if (typeof first === 'string' && toPort(first) === null) {
    const backlog = typeof rest[1] === 'number' ? rest[1] : undefined;
    return { address: { type: 'pipe', path: pipePath(first) }, backlog, callback };
  }

  const port = toPort(first);
  if (port === null) return null;
  let i = 1;
  let host: string | null = null;
  if (typeof rest[i] === 'string') host = (rest[i++] as string) || null;
  const backlog = typeof rest[i] === 'number' ? (rest[i] as number) : undefined;
  return { address: { type: 'tcp', host, port, ipv6Only: false }, backlog, callback };
}
