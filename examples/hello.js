// A plain Node app with no drover imports: drover's preloaded worker runtime
// turns this listen() into a request to the master, which owns the port.
import http from 'node:http';

const port = Number(process.env.PORT || 3000);
http
  .createServer((req, res) => {
    res.end(`hello from pid ${process.pid}\n`);
  })
  .listen(port);
