// examples/hello.js plus 200 prom-client series (one counter, 200 label
// values), handed to the supervisor: registerMetrics() under drover,
// prom-client's AggregatorRegistry worker side under Node's cluster.
import cluster from 'node:cluster';
import http from 'node:http';
import client from 'prom-client';
import { registerMetrics } from 'drover/worker';

const SERIES = Number(process.env.BENCH_SERIES ?? 200);
const counter = new client.Counter({ name: 'bench_events_total', help: 'one series per route', labelNames: ['route'] });
for (let i = 0; i < SERIES; i++) counter.inc({ route: `r${i}` }, i);
// A live app's counters move all the time: so do these (r0 only, which the readiness check does not read),
// so drover cannot serve every scrape from an unchanged merge.
setInterval(() => counter.inc({ route: 'r0' }), 50).unref();

if (process.env.DROVER_WORKER_ID !== undefined) await registerMetrics();
else if (cluster.isWorker) new client.AggregatorRegistry();

http
  .createServer((req, res) => {
    counter.inc({ route: 'r0' });
    res.end(`hello from pid ${process.pid}\n`);
  })
  .listen(Number(process.env.PORT || 3000));
