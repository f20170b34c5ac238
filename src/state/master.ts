// The store as the app master runs it: the server behind the message hub
// (workers and the agent reach it with request('master', 'drover.state')
// and get pushes on 'drover.state.ev'), and the master's own client, which
// talks to the server in process.
import type { Messenger } from '../messaging/endpoint.js';
import { decodeAddress, type Address } from '../messaging/envelope.js';
import type { MasterMessenger } from '../messaging/master-endpoint.js';
import { StateClient } from './client.js';
import { localTransport } from './local-transport.js';
import { fileBackend } from './file-backend.js';
import { memoryBackend } from './memory-backend.js';
import { StateServer, type Deliver, type ServerLog } from './server.js';
import type { Backend } from './backend.js';
import type { StateSpec } from './types.js';
import { TOPIC_EVENTS, TOPIC_REQUEST, type Stored } from './wire.js';

function backendFor(spec: StateSpec, log: ServerLog | undefined): (live: () => Iterable<Stored>) => Backend | Promise<Backend> {
  switch (spec.backend) {
    case 'memory':
      return () => memoryBackend();
    case 'file':
      return (live) =>
        fileBackend(spec.dir, live, {
          truncated: (file, dropped, at) => log?.warn({ event: 'state-log-truncated', file, droppedBytes: dropped, atByte: at }, `the state log ${file} was damaged at byte ${at} (a cut write): ${dropped} bytes dropped`),
          compactFailed: (file, err) => log?.error({ event: 'state-compact-failed', file, err: err.message }, `compacting ${file} failed: ${err.message}`),
        });
    case 'redis':
      // Loaded only when used: ioredis costs the master memory and start time.
      return async () => (await import('./redis-backend.js')).redisBackend(spec, log);
  }
}


export interface MasterState {
  readonly server: StateServer;
  readonly client: StateClient;
  close(): Promise<void>;
}

/** Where workers' state frames arrive (the message hub: MessageHub.handleState). */
export interface StateFrames {
  handleState(fn: (from: number, text: string) => string | Promise<string>): () => void;
}

export function startState(spec: StateSpec, messages: Messenger & Partial<Pick<MasterMessenger, 'sendNow'>>, log: ServerLog | undefined, frames?: StateFrames): MasterState {
  const server = new StateServer(backendFor(spec, log), log);
  // Per sender, its subscriber key and push function, made once (not a string and a closure per request).
  const peers = new Map<Address, { readonly key: string; readonly deliver: Deliver }>();
  // The hub's sendNow: a change leaves for every watcher in the turn it is made, encoded once (the same batch string).
  const now = typeof messages.sendNow === 'function';
  const peerOf = (from: Address) => {
    let peer = peers.get(from);
    if (peer === undefined) {
      peer = { key: `p:${String(from)}`, deliver: now ? (batch) => messages.sendNow!(from, TOPIC_EVENTS, batch) : (batch) => messages.send(from, TOPIC_EVENTS, batch) };
      // Addresses are worker ids and the agent: bounded by the app's size, but an app that replaces workers for a long time reuses none.
      if (peers.size >= 10_000) peers.clear();
      peers.set(from, peer);
    }
    return peer;
  };
  // Workers send state frames (the hub answers them from its read loop); the topic serves a client of another copy of drover.
  frames?.handleState((from, text) => {
    const peer = peerOf(decodeAddress(from));
    return server.handle(text, peer.key, peer.deliver);
  });
  messages.handle(TOPIC_REQUEST, (payload: unknown, meta: { from: Address }) => {
    const peer = peerOf(meta.from);
    return server.handle(payload, peer.key, peer.deliver);
  });
  const client = new StateClient(localTransport(server, 'master'));
  return { server, client, close: () => server.close() };
}
