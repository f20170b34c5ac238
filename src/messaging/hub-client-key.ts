// Where the process's one hub client lives: on globalThis, so that every copy
// of drover loaded into a process shares it. Its own module so that the worker
// runtime (the preload, in every worker) can ask whether a connection is being
// set up without loading the client's module graph.

// The symbol's name predates the rename to HubClient; other copies of drover look it up.
export const CLIENT_KEY = Symbol.for('drover.messaging.port');

/**
 * While a messaging call's connection to the hub waits for its welcome: a
 * promise that settles once the hub has accepted it (or it failed, or after
 * HubClient.connecting's bound). undefined when no messaging call was made or
 * the connection is up. Duck-typed: the client may come from another copy of drover.
 */
export function hubConnecting(): Promise<void> | undefined {
  const client = (globalThis as Record<symbol, unknown>)[CLIENT_KEY] as { connecting?: unknown } | undefined;
  return typeof client?.connecting === 'function' ? (client.connecting as () => Promise<void> | undefined).call(client) : undefined;
}
