// reuseport's known limit (docs/architecture.md): when a worker closes its
// socket, the connections still queued on it are reset, unless the kernel
// migrates them (net.ipv4.tcp_migrate_req=1, Linux >= 5.14). Measured under
// new-connection-per-request load: about 5 resets per reload with 0, none
// with 1. drover only says so; the setting is the host's (per network namespace).
import { readFileSync } from 'node:fs';

const SYSCTL = '/proc/sys/net/ipv4/tcp_migrate_req';

/**
 * The advice to log, or undefined when the kernel migrates (or has no such setting).
 * slots: the master holds one socket per worker slot (runtime/reuseport-slots.ts), so a
 * reload closes none; only a socket left with no worker (a crash, a scale-down) does.
 */
export function migrateAdvice(slots = false): string | undefined {
  let value: string;
  try {
    value = readFileSync(SYSCTL, 'utf8').trim();
  } catch {
    return undefined;
  }
  if (value !== '0') return undefined;
  const when = slots ? 'that closes with no worker left on it (a crash before its replacement, a scale-down; reloads keep the sockets)' : 'that closes (reload, stop)';
  return `reuseport: net.ipv4.tcp_migrate_req is 0, so connections queued on a worker socket ${when} are reset; \`sysctl -w net.ipv4.tcp_migrate_req=1\` makes the kernel hand them to another worker`;
}
