// A real redis-server (Debian's package) for the redis state backend tests:
// on a free port of 127.0.0.1, in a temporary directory, with the append-only
// file on (so a stop and start keeps the data, as a production Redis holding
// state would) and no RDB snapshots. Stopped after the test.
import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import { tempDir } from './tmp.js';
import { waitFor } from './wait.js';

export const hasRedis = spawnSync('redis-server', ['--version']).status === 0;

async function freePort() {
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

function ping(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.setTimeout(500, () => s.destroy());
    s.on('error', () => resolve(false));
    s.on('close', () => resolve(false));
    s.on('connect', () => s.write('PING\r\n'));
    s.on('data', (d) => {
      resolve(String(d).startsWith('+PONG'));
      s.destroy();
    });
  });
}

export async function startRedis(t) {
  const dir = tempDir(t, 'drover-redis-');
  const port = await freePort();
  const server = {
    port,
    url: `redis://127.0.0.1:${port}`,
    proc: undefined,
    async start() {
      this.proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always'], { stdio: 'ignore' });
      const proc = this.proc;
      await waitFor(() => proc.exitCode === null && ping(port), { timeoutMs: 10_000, message: `redis-server on port ${port}` });
      if (proc.exitCode !== null) throw new Error(`redis-server exited with ${proc.exitCode}`);
    },
    async stop() {
      const proc = this.proc;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
    },
  };
  t.after(async () => {
    const proc = server.proc;
    if (proc && proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  });
  await server.start();
  return server;
}
