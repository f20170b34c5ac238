// The agent's end of its IPC channel (it has no worker runtime): app-ready
// comes in, ready and hello go out. Node drops internal messages that arrive
// before a listener exists, so on load this says hello and the master answers
// with app-ready again if the app is ready already.
import { CMD, envelope } from '../protocol/messages.js';
import { markAppReady } from './app-ready.js';

const KEY = Symbol.for('drover.agent-side');

function send(kind: 'ready' | 'hello'): void {
  if (!process.connected || typeof process.send !== 'function') return;
  try {
    process.send(envelope({ kind }), undefined, undefined, () => {});
  } catch {
    // The master is gone: the agent's process group is being ended.
  }
}

export function connectAgent(): void {
  const g = globalThis as Record<symbol, unknown>;
  if (g[KEY]) return;
  g[KEY] = true;
  // 'internalMessage' listeners do not ref the channel: an agent with nothing left to do still exits.
  process.on('internalMessage' as 'message', (raw: unknown) => {
    if (typeof raw === 'object' && raw !== null && (raw as { cmd?: unknown }).cmd === CMD && (raw as { kind?: unknown }).kind === 'app-ready') markAppReady();
  });
  send('hello');
}

export function agentReady(): void {
  send('ready');
}
