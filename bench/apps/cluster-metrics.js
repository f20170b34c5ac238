// The baseline for metrics: Node's cluster with prom-client's
// AggregatorRegistry in the primary, serving /metrics on METRICS_PORT.
//
//   PORT=<app port> METRICS_PORT=<port> node bench/apps/cluster-metrics.js [--workers=N]
import cluster from 'node:cluster';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import client from 'prom-client';

const here = path.dirname(fileURLToPath(import.meta.url));
const workers = Number(process.argv.find((a) => a.startsWith('--workers='))?.slice(10) ?? 4);
cluster.setupPrimary({ exec: path.join(here, 'metrics-hello.js'), args: [] });
const registry = new client.AggregatorRegistry();
let listening = 0;
cluster.on('listening', () => {
  if (++listening === workers) process.stdout.write(`${JSON.stringify({ event: 'ready', pid: process.pid })}\n`);
});
for (let i = 0; i < workers; i++) cluster.fork();

const server = http
  .createServer(async (req, res) => {
    try {
      const body = await registry.clusterMetrics();
      res.writeHead(200, { 'content-type': registry.contentType });
      res.end(body);
    } catch (err) {
      res.writeHead(500);
      res.end(String(err));
    }
  })
  .listen(Number(process.env.METRICS_PORT), '127.0.0.1');

process.on('SIGTERM', () => {
  server.close();
  for (const w of Object.values(cluster.workers)) w.process.kill('SIGTERM');
  cluster.on('exit', () => Object.keys(cluster.workers).length === 0 && process.exit(0));
});
