// The worker's end of the IPC channel, for drover's own traffic.
//
// Node refs the channel while 'message' or 'disconnect' listeners exist, so a
// worker would never exit on its own. We take back the one reference our own
// 'disconnect' listener adds (Control#unrefCounted) and ref the channel only
// while a shared server listens, so an app that closes its servers and has
// nothing else to do exits, as it would without drover.
import { CMD, PROTOCOL_VERSION, type MasterToWorker, type WorkerToMaster } from '../protocol/messages.js';

interface Control {
  refCounted(): void;
  unrefCounted(): void;
}

export type MasterMessageHandler = (message: MasterToWorker, handle: unknown) => void;

export class Channel {
  private readonly control: Control | undefined;

  constructor(onMessage: MasterMessageHandler, onDisconnect: () => void) {
    process.on('internalMessage' as 'message', (raw: unknown, handle: unknown) => {
      if (typeof raw === 'object' && raw !== null && (raw as { cmd?: unknown }).cmd === CMD) onMessage(raw as MasterToWorker, handle);
    });
    process.on('disconnect', onDisconnect);
    this.control = process.channel as unknown as Control | undefined;
    this.control?.unrefCounted?.();
  }

  get connected(): boolean {
    return process.connected === true;
  }

  send(message: WorkerToMaster, handle?: unknown, done: (err: Error | null) => void = () => {}): void {
    if (!process.connected || !process.send) return done(new Error('IPC channel closed'));
    try {
      process.send({ cmd: CMD, v: PROTOCOL_VERSION, ...message }, handle as never, undefined, done);
    } catch (err) {
      // Disconnected meanwhile: the disconnect handler takes over.
      done(err as Error);
    }
  }

  ref(): void {
    this.control?.refCounted?.();
  }

  unref(): void {
    this.control?.unrefCounted?.();
  }
}
