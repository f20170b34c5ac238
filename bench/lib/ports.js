// Free port picking: bind port 0, read the port the kernel chose, close.
import net from 'node:net';

/** @returns {Promise<number>} a TCP port that was free a moment ago */
export function freePort(host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen({ port: 0, host, exclusive: true }, () => {
      const { port } = srv.address();
      srv.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}
