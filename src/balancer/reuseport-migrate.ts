// reuseport's known limit (docs/architecture.md): when a worker closes its
// socket, the connections still queued on it are reset, unless the kernel
// migrates them (net.ipv4.tcp_migrate_req=1, Linux >= 5.14). Measured under
// new-connection-per-request load: about 5 resets per reload with 0, none
// with 1. drover only says so; the setting is the host's (per network namespace).
import { readFileSync } from 'node:fs';

const SYSCTL = '/proc/sys/net/ipv4/tcp_migrate_req';

/** The advice to log, or undefined when the kernel migrates (or has no such setting). */
export function migrateAdvice(): string | undefined {
  let value: string;
  try {
    value = readFileSync(SYSCTL, 'utf8').trim();
  } catch {
    return undefined;
  }
  if (value !== '0') return undefined;
  return 'reuseport: net.ipv4.tcp_migrate_req is 0, so connections queued on a worker socket that closes (reload, stop) are reset; `sysctl -w net.ipv4.tcp_migrate_req=1` makes the kernel hand them to another worker';
}
