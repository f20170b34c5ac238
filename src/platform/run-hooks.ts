// What `drover run` adds for production hosts, kept out of cli/run.ts: the
// systemd link (notify + watchdog). One call after the supervisor exists, one
// awaited before the process exits.
import { attachSystemd, type NotifiedApp } from './systemd-notify.js';

export interface PlatformLink {
  close(): Promise<void>;
}

export function attachPlatform(app: NotifiedApp): PlatformLink {
  const systemd = attachSystemd(app);
  return {
    async close() {
      await systemd?.close();
    },
  };
}
