// The store as the app master runs it: the server behind the message hub
// (workers and the agent reach it with request('master', 'drover.state')
// and get pushes on 'drover.state.ev'), and the master's own client, which
// talks to the server in process.
import type { Messenger } from '../messaging/endpoint.js';
import { decodeAddress, type Address } from '../messaging/envelope.js';
import type { MasterMessenger } from '../messaging/master-endpoint.js';
import { StateClient } from './client.js';
import { localTransport } from './local-transport.js';
import type { Deliver, ServerLog, StateServer } from './server.js';
import type { StateSpec } from './types.js';
import { TOPIC_EVENTS, TOPIC_REQUEST } from './wire.js';

export interface MasterState {
  /** The server, once the store's first request made it (master-server.ts). */
  readonly server: StateServer | undefined;
  readonly client: StateClient;
  close(): Promise<void>;
}

/** Where workers' state frames arrive (the message hub: MessageHub.handleState). */
export interface StateFrames {
  handleState(fn: (from: number, text: string) => string | Promise<string>): () => void;
}

export function startState(spec: StateSpec, messages: Messenger & Partial<Pick<MasterMessenger, 'sendNow'>>, log: ServerLog | undefined, frames?: StateFrames): MasterState {
  // The server and its backend load at the first request (a worker's, the
  // master's own client's, a metrics scrape's status), not with the master
  // (issue 17). Requests that come while it loads wait on `loading` in the
  // order they came (each continuation is queued before any later I/O can
  // run); once it is there they go straight to it, so a local backend's reply
  // is again a string in the same turn.
  let server: StateServer | undefined;
  let loading: Promise<StateServer> | undefined;
  const handle = (payload: unknown, subKey: string, deliver: Deliver, inProcess = false): string | Promise<string> => {
    if (server) return server.handle(payload, subKey, deliver, inProcess);
    loading ??= import('./master-server.js').then((m) => (server = m.masterServer(spec, log)));
    return loading.then((s) => s.handle(payload, subKey, deliver, inProcess));
  };
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
    return handle(text, peer.key, peer.deliver);
  });
  messages.handle(TOPIC_REQUEST, (payload: unknown, meta: { from: Address }) => {
    const peer = peerOf(meta.from);
    return handle(payload, peer.key, peer.deliver);
  });
  const client = new StateClient(localTransport({ handle }, 'master'));
  return {
    get server() {
      return server;
    },
    client,
    // A store that was never used has nothing to close; one still loading is closed once it is there.
    close: async () => {
      const s = server ?? (await loading);
      await s?.close();
    },
  };
}
