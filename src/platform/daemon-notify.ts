// The daemon under systemd (`drover startup systemd`, Type=notify): READY=1
// once its control socket listens, STOPPING=1 when a signal ends it. The
// systemd variables are taken out of process.env first, so the app masters it
// starts (and their workers) never inherit them.
import { SERVICE_ONLY_ENV } from './service-env.js';
import { findSystemdNotify, NotifyQueue, systemdNotifySender } from './sd-notify.js';

export interface DaemonNotifier {
  ready(status: string): void;
  stopping(): void;
}

const NONE: DaemonNotifier = { ready() {}, stopping() {} };

export function daemonNotifier(log: (line: string) => void): DaemonNotifier {
  const socket = process.env.NOTIFY_SOCKET;
  for (const key of SERVICE_ONLY_ENV) delete process.env[key];
  if (!socket || !(socket.startsWith('/') || socket.startsWith('@'))) return NONE;
  const binary = findSystemdNotify();
  if (!binary) {
    log('NOTIFY_SOCKET is set but systemd-notify was not found: install systemd, or use Type=simple in the unit');
    return NONE;
  }
  const queue = new NotifyQueue(systemdNotifySender({ socket, pid: process.pid, binary }), (err) => log(`could not notify systemd: ${err.message}`));
  return {
    ready: (status) => queue.notify({ READY: '1', STATUS: status }),
    stopping: () => queue.notify({ STOPPING: '1' }),
  };
}
