// Before any worker forks: is the port the app will listen on free? drover
// knows it only from PORT in the app's environment (its declared env, else the
// master's own, which the workers inherit). A port taken from the start used
// to be found only once every worker had booted (with -i 1000, minutes later).
// A bind-and-close probe, as the app's listen(PORT) would bind: every address,
// both families. Only EADDRINUSE fails the start; any other error (no IPv6, a
// port < 1024 the app may bind with a capability) is left to the workers.
import net from 'node:net';
import { DroverError } from '../errors.js';
import type { AppSpec } from '../core/types.js';

/** The port from PORT, when it is one a probe can check (1..65535). */
export function portToCheck(spec: Pick<AppSpec, 'env'>, env: NodeJS.ProcessEnv = process.env): number | undefined {
  const text = spec.env.PORT ?? env.PORT;
  if (text === undefined || !/^\d{1,5}$/.test(text.trim())) return undefined;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : undefined;
}

function probe(port: number, host: string | undefined): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

/** Throws DROVER_E_PORT_IN_USE when PORT is taken by another process. */
export async function assertPortFree(spec: Pick<AppSpec, 'env'>, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const port = portToCheck(spec, env);
  if (port === undefined) return;
  let err = await probe(port, undefined);
  if (err?.code === 'EAFNOSUPPORT') err = await probe(port, '0.0.0.0');
  if (err?.code !== 'EADDRINUSE') return;
  throw new DroverError(
    'DROVER_E_PORT_IN_USE',
    `PORT ${port} is already in use by another process: stop it, or give the app another port (checked before starting any worker)`,
  );
}
