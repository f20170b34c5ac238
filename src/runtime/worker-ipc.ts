// Messages from a worker's drover runtime on its IPC channel, turned into core
// events (or balancer bookkeeping). Anything malformed or over the rate limit
// is counted by the hub's guard and dropped: a bad message never throws here.
import type { ChildProcess } from 'node:child_process';
import { assertNever } from '../core/assert-never.js';
import type { Event } from '../core/types.js';
import type { HubFront } from '../messaging/hub-front.js';
import { CMD, parseWorkerMessage, type WorkerToMaster } from '../protocol/messages.js';
import type { ListenBroker } from './listen-broker.js';
import { attachHead } from '../balancer/head-reader.js';

export interface WorkerIpcContext {
  readonly wid: number;
  readonly child: ChildProcess;
  readonly hub: Pick<HubFront, 'ipc' | 'counts'>;
  readonly broker: ListenBroker;
  readonly enqueue: (event: Event) => void;
  /** The heartbeat's figures as the worker sent them, for metrics and the dashboard (src/metrics, src/http). */
  readonly stats?: (sample: { wid: number; rss: number; lagMs: number; heapUsed?: number; cpuUs?: number }) => void;
}

const closeHandle = (handle: unknown) => (handle as { close?: () => void } | undefined)?.close?.();

export function onWorkerMessage(raw: unknown, handle: unknown, ctx: WorkerIpcContext): void {
  if (typeof raw !== 'object' || raw === null || (raw as { cmd?: unknown }).cmd !== CMD) return;
  const { wid, child, broker } = ctx;
  const parsed = parseWorkerMessage(raw);
  // App code can send these too (process.send({cmd: 'NODE_DROVER', …})): the guard logs, rate-limits and counts strikes.
  if (!parsed.ok || !ctx.hub.ipc.admit(wid, child.pid, parsed.message.kind)) {
    if (!parsed.ok) ctx.hub.ipc.malformed(wid, child.pid, parsed.error);
    closeHandle(handle);
    return;
  }
  const m: WorkerToMaster = parsed.message;
  ctx.hub.counts.ipc++;
  switch (m.kind) {
    case 'online':
      return ctx.enqueue({ type: 'online', wid });
    case 'pong':
      broker.stats(wid, m.elu, m.connections);
      ctx.stats?.({ wid, rss: m.rss, lagMs: m.lagMs, heapUsed: m.heapUsed, cpuUs: m.cpuUs });
      return ctx.enqueue({ type: 'stats', wid, stats: { rss: m.rss, elu: m.elu, lagMs: m.lagMs, requests: m.requests } });
    case 'hello':
      // The agent's drover/worker says it loaded (agent-channel.ts); a worker's runtime never sends it.
      return;
    case 'ready':
      return ctx.enqueue({ type: 'ready', wid });
    case 'exiting':
      // Fast path: a crashing worker stops accepting at once, so it leaves the
      // balancer before the core (which replaces it and emits `leave`) runs.
      broker.registry.removeWorker(wid);
      return ctx.enqueue({ type: 'exiting', wid, error: m.error });
    case 'unlisten':
      return broker.unlisten(wid, child, m.key);
    case 'conns':
      return broker.registry.report(m.key, wid, m.got, m.closed);
    case 'bound':
      return broker.bound(wid, m.key, m.address);
    case 'conn-back':
      // A draining worker sent a connection back: the listener takes it out of its rotation (fast path) and hands the connection on.
      if (handle && m.head !== undefined) attachHead(handle as object, Buffer.from(m.head, 'latin1'));
      if (!handle || !broker.registry.redistribute(m.key, handle as never, wid)) closeHandle(handle);
      return;
    case 'sticky-claim':
      return broker.registry.claim(m.key, wid);
    case 'listen':
      return broker.listen(wid, child, m);
    case 'udp-bind':
      return broker.udpBind(wid, child, m);
    default:
      return assertNever(m, 'worker message');
  }
}
