// systemd's notify protocol (sd_notify(3)): datagrams of KEY=VALUE lines sent
// to the unix socket in NOTIFY_SOCKET.
//
// Node has no unix datagram sockets (dgram refuses them, net gets
// EPROTOTYPE), so drover sends each message with the `systemd-notify` binary
// that ships with systemd, spawned with an argv array (no shell):
//   systemd-notify --pid=<master pid> KEY=VALUE ...
// - `--pid` adds MAINPID=<master> and, when drover runs as root, sends with
//   the master's credentials. Otherwise the message comes from the short-lived
//   systemd-notify process, which systemd accepts only with NotifyAccess=all
//   (the generated units set it).
// - systemd-notify >= 252 follows each message with a BARRIER=1 and waits until
//   the manager has read it, so the sender is still alive (and attributable to
//   the unit's cgroup) when systemd looks at it.
// No native package: the ones on npm need a compiler at install time and are
// unmaintained; the binary is on every systemd host.
//
// Messages go out one at a time, in order (RELOADING=1 must reach systemd
// before the READY=1 that ends the reload). The queue is bounded: a STATUS= or
// WATCHDOG=1 waiting behind a slow send is replaced by a newer one.
import { spawn } from 'node:child_process';
import { firstExecutable } from './first-executable.js';

export type NotifyFields = Readonly<Record<string, string>>;
export type NotifySend = (fields: NotifyFields) => Promise<void>;

const CANDIDATES = ['/usr/bin/systemd-notify', '/bin/systemd-notify'];
/** A send that has not finished by then is killed (systemd-notify's own barrier timeout is 5 s). */
const SEND_TIMEOUT_MS = 10_000;
const MAX_QUEUED = 32;

export function findSystemdNotify(candidates: readonly string[] = CANDIDATES): string | undefined {
  return firstExecutable(candidates);
}

/**
 * A value for one line of the protocol: one line, no NUL, bounded. A STATUS
 * built from an app name cannot add a line (and so a field) of its own.
 */
export function notifyValue(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ').slice(0, 512);
}

/** The datagram systemd receives for these fields (also what tests compare against). */
export function formatNotify(fields: NotifyFields): string {
  return Object.entries(fields)
    .map(([k, v]) => `${k}=${notifyValue(v)}`)
    .join('\n');
}

export function systemdNotifySender(options: { socket: string; pid: number; binary: string }): NotifySend {
  return (fields) =>
    new Promise<void>((resolve, reject) => {
      const args = [`--pid=${options.pid}`, ...Object.entries(fields).map(([k, v]) => `${k}=${notifyValue(v)}`)];
      // Only what systemd-notify needs: no app secrets in its environment.
      const child = spawn(options.binary, args, { env: { NOTIFY_SOCKET: options.socket }, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-500)));
      const timer = setTimeout(() => child.kill('SIGKILL'), SEND_TIMEOUT_MS);
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (code === 0) resolve();
        else reject(new Error(`systemd-notify ${signal ? `killed by ${signal}` : `exited with ${code}`}: ${stderr.trim()}`));
      });
    });
}

/** Fields that only say "how things are now": a newer one makes a queued older one pointless. */
const isReplaceable = (fields: NotifyFields): boolean => Object.keys(fields).every((k) => k === 'STATUS' || k === 'WATCHDOG');

export class NotifyQueue {
  private readonly queue: NotifyFields[] = [];
  private running: Promise<void> | undefined;

  constructor(
    private readonly send: NotifySend,
    private readonly onError: (err: Error, fields: NotifyFields) => void = () => {},
  ) {}

  notify(fields: NotifyFields): void {
    if (isReplaceable(fields)) {
      const same = this.queue.findIndex((q) => isReplaceable(q) && Object.keys(q).join() === Object.keys(fields).join());
      if (same >= 0) this.queue.splice(same, 1);
    }
    this.queue.push(fields);
    while (this.queue.length > MAX_QUEUED) {
      const drop = this.queue.findIndex(isReplaceable);
      this.queue.splice(drop >= 0 ? drop : 0, 1);
    }
    this.running ??= this.drain();
  }

  /** Resolves once everything queued so far was sent (or failed). */
  async flush(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    try {
      for (let next = this.queue.shift(); next; next = this.queue.shift()) {
        try {
          await this.send(next);
        } catch (err) {
          this.onError(err as Error, next);
        }
      }
    } finally {
      this.running = undefined;
    }
  }
}

/** CLOCK_MONOTONIC in microseconds, as RELOADING=1 wants it in MONOTONIC_USEC (libuv's hrtime is CLOCK_MONOTONIC on Linux). */
export function monotonicUsec(): string {
  return String(process.hrtime.bigint() / 1000n);
}
