import type { ClientTransport } from './client.js';
import type { StateServer } from './server.js';

/** A client that talks to a server in this process (the master's own, or a store outside drover). Pushes arrive a tick later, as from afar; its writes' pushes to others leave in the write (server.ts, push). */
export function localTransport(server: Pick<StateServer, 'handle'>, subKey: string): ClientTransport {
  let listener: ((batch: string) => void) | undefined;
  const deliver = async (batch: string) => {
    await Promise.resolve();
    listener?.(batch);
  };
  return { request: async (text) => server.handle(text, subKey, deliver, true), listen: (fn) => (listener = fn) };
}
