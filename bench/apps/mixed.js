// A hello app that says which worker answered, with a CPU-heavy path:
//   GET /      "hello from pid <pid>" (like examples/hello.js)
//   GET /burn  the same after burning 20 ms of CPU synchronously (BURN_MS overrides)
// Every response carries the header `x-pid: <pid>`, so the load generator can
// count the requests each worker served. No signal handling (like hello.js).
// MIXED_TRACE=<prefix>: each worker appends to <prefix>.<pid>, on the clock of
// drover's DROVER_BALANCE_TRACE (performance.timeOrigin + now, ms), a line
// `c <opened> <closed>` per connection and `b <start> <end>` per burn, once a
// second (the openloop scenario's staleness measurement).
import { appendFileSync } from 'node:fs';
import http from 'node:http';

const port = Number(process.env.PORT || 3000);
const burnMs = Number(process.env.BURN_MS || 20);
const pid = String(process.pid);
const traceFile = process.env.MIXED_TRACE ? `${process.env.MIXED_TRACE}.${pid}` : undefined;
const clock = () => performance.timeOrigin + performance.now();
let trace = [];

function burn(ms) {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) x++;
  return x;
}

const server = http.createServer((req, res) => {
  if (req.url === '/burn') {
    const t = clock();
    burn(burnMs);
    if (traceFile) trace.push(`b ${t.toFixed(3)} ${clock().toFixed(3)}`);
  }
  res.setHeader('x-pid', pid);
  res.end(`hello from pid ${pid}\n`);
});
if (traceFile) {
  server.on('connection', (socket) => {
    const t = clock();
    socket.on('close', () => trace.push(`c ${t.toFixed(3)} ${clock().toFixed(3)}`));
  });
  setInterval(() => {
    if (trace.length === 0) return;
    appendFileSync(traceFile, trace.join('\n') + '\n');
    trace = [];
  }, 1000).unref();
}
server.listen(port);
