// One resumable SSE stream per browser tab: `state` (the apps and workers,
// every second and just after each lifecycle event) and `log` events
// (numbered). A tab that reconnects sends Last-Event-ID and gets the log
// events it missed from the ring, or a `reset` when they are gone.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SECURITY_HEADERS, send } from '../server.js';
import { EventRing } from './ring.js';
import type { DashboardSource, LogEvent } from './source.js';

export const MAX_STREAMS = 32;
const STATE_EVERY_MS = 1_000;
/** Coalesces a burst of lifecycle events (a reload) into one state push. */
const STATE_AFTER_EVENT_MS = 50;

export class LiveStreams {
  private readonly ring = new EventRing<LogEvent>(500);
  private readonly streams = new Set<ServerResponse>();
  private readonly unsubscribe: () => void;
  private tick: NodeJS.Timeout | undefined;
  private soon: NodeJS.Timeout | undefined;

  constructor(private readonly source: DashboardSource) {
    this.unsubscribe = source.subscribe((e) => {
      const item = this.ring.push(e);
      this.broadcast(`id: ${item.id}\nevent: log\ndata: ${JSON.stringify(e)}\n\n`);
      if (this.streams.size > 0 && !this.soon) {
        this.soon = setTimeout(() => {
          this.soon = undefined;
          void this.pushState();
        }, STATE_AFTER_EVENT_MS);
      }
    });
  }

  private broadcast(frame: string): void {
    for (const res of this.streams) res.write(frame);
  }

  private async stateFrame(): Promise<string> {
    return `event: state\ndata: ${JSON.stringify({ at: Date.now(), apps: await this.source.apps() })}\n\n`;
  }

  private async pushState(): Promise<void> {
    if (this.streams.size === 0) return;
    this.broadcast(await this.stateFrame());
  }

  async open(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (this.streams.size >= MAX_STREAMS) return send(res, 503, `too many live streams (${MAX_STREAMS}): close other dashboard tabs\n`);
    const raw = req.headers['last-event-id'] ?? url.searchParams.get('lastEventId') ?? undefined;
    const lastId = raw === undefined || raw === '' ? undefined : Number(raw);
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write(`retry: 1000\n\n`);
    res.write(await this.stateFrame());
    const { complete, events } = this.ring.since(lastId);
    if (!complete) res.write(`event: reset\ndata: {}\n\n`);
    for (const e of events) res.write(`id: ${e.id}\nevent: log\ndata: ${JSON.stringify(e.data)}\n\n`);
    this.streams.add(res);
    req.socket.setTimeout(0);
    this.tick ??= setInterval(() => void this.pushState(), STATE_EVERY_MS);
    res.on('close', () => {
      this.streams.delete(res);
      if (this.streams.size === 0) {
        clearInterval(this.tick);
        this.tick = undefined;
      }
    });
  }

  close(): void {
    this.unsubscribe();
    clearInterval(this.tick);
    clearTimeout(this.soon);
    for (const res of this.streams) res.end();
    this.streams.clear();
  }
}
