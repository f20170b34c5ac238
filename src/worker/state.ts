// `state` in drover/worker: the client of the master's store over the message
// hub. Outside drover (plain `node app.js`) it is a store in this process
// (memory backend), so an app runs the same on its own.
import { messenger, type HubClient } from '../messaging/hub-client.js';
import { StateClient, type ClientTransport } from '../state/client.js';
import { memoryBackend } from '../state/memory-backend.js';
import { localTransport } from '../state/local-transport.js';
import { StateServer } from '../state/server.js';
import type { StateApi } from '../state/types.js';
import { TOPIC_EVENTS, TOPIC_REQUEST } from '../state/wire.js';

const KEY = Symbol.for('drover.state-client');

function hubTransport(): ClientTransport {
  const m = messenger();
  // State frames when the hub client has them (it may be another copy of drover's, older: then the topic).
  const frames = m as Partial<Pick<HubClient, 'stateRequest'>>;
  return {
    request:
      typeof frames.stateRequest === 'function'
        ? (text, timeoutMs) => frames.stateRequest!(text, timeoutMs)
        : (text, timeoutMs) => m.request<string>('master', TOPIC_REQUEST, text, { timeoutMs }),
    listen: (fn) => void m.on(TOPIC_EVENTS, (batch: string) => fn(batch)),
  };
}

function client(): StateClient {
  const g = globalThis as Record<symbol, unknown>;
  let c = g[KEY] as StateClient | undefined;
  if (!c) {
    const inDrover = Boolean(process.env.DROVER_MSG_SOCKET && process.env.DROVER_MSG_TOKEN);
    c = new StateClient(inDrover ? hubTransport() : localTransport(new StateServer(() => memoryBackend()), 'self'));
    g[KEY] = c;
  }
  return c;
}

export const state: StateApi = {
  get: (key) => client().get(key),
  peek: (key) => client().peek(key),
  set: (key, value, options) => client().set(key, value, options),
  update: (key, fn, options) => client().update(key, fn, options),
  delete: (key, options) => client().delete(key, options),
  watch: (pattern, fn, options) => client().watch(pattern, fn, options),
  status: () => client().status(),
};
