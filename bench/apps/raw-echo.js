// The floor of a round trip between two processes (bench/scenarios/state.js):
// a bare Node process, no drover, listening on a unix socket and writing back
// each chunk it reads as it is (the client sends one short line per round
// trip and waits for it; no framing beyond the newline). argv[2]: the socket path.
import net from 'node:net';

const server = net.createServer((socket) => {
  socket.setNoDelay?.(true);
  socket.on('data', (chunk) => socket.write(chunk));
  socket.on('error', () => {});
});
server.listen(process.argv[2], () => process.stdout.write('listening\n'));
process.on('SIGTERM', () => process.exit(0));
