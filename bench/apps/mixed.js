// A hello app that says which worker answered, with a CPU-heavy path:
//   GET /      "hello from pid <pid>" (like examples/hello.js)
//   GET /burn  the same after burning 20 ms of CPU synchronously (BURN_MS overrides)
// Every response carries the header `x-pid: <pid>`, so the load generator can
// count the requests each worker served. No signal handling (like hello.js).
import http from 'node:http';

const port = Number(process.env.PORT || 3000);
const burnMs = Number(process.env.BURN_MS || 20);
const pid = String(process.pid);

function burn(ms) {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) x++;
  return x;
}

http
  .createServer((req, res) => {
    if (req.url === '/burn') burn(burnMs);
    res.setHeader('x-pid', pid);
    res.end(`hello from pid ${pid}\n`);
  })
  .listen(port);
