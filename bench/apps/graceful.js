// The hello app, plus the textbook graceful shutdown an app does on its own
// (what PM2's maintainers ask for, #2573): on SIGTERM or SIGINT (PM2's default
// kill signal) it closes its server, i.e. stops accepting, and exits once the
// server's connections are gone. Nothing else: no Connection: close, no deadline
// of its own (the supervisor's kill timeout is the deadline).
import http from 'node:http';

const port = Number(process.env.PORT || 3000);
const server = http
  .createServer((req, res) => {
    res.end(`hello from pid ${process.pid}\n`);
  })
  .listen(port);

let closing = false;
function shutdown() {
  if (closing) return;
  closing = true;
  server.close(() => process.exit(0));
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
