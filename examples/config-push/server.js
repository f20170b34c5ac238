// A worker of the config-push example: answers every request with the current
// config, read from its local replica of the shared state store (no IPC per
// request); the master pushes each change to it.
import http from 'node:http';
import { ready, state, workerId } from 'drover/worker';

let resolveFirst;
const first = new Promise((r) => (resolveFirst = r));
state.watch('config', (ev) => {
  if (ev.type === 'put') resolveFirst();
});
await first;

http
  .createServer((req, res) => {
    const e = state.peek('config');
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ worker: workerId, pid: process.pid, rev: e?.rev, config: e?.value }));
  })
  .listen(Number(process.env.PORT ?? 3000), () => ready());
