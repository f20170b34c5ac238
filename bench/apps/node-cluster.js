// Baseline: a minimal supervisor built on Node's `cluster` module.
//
//   node bench/apps/node-cluster.js [--sched=rr|none] [--workers=N] [app.js]
//
// Env: PORT (passed to workers), BENCH_SCHED (rr|none, overridden by --sched),
// BENCH_WORKERS (default 2). The app defaults to examples/hello.js.
//
// Logs one JSON line per lifecycle event on stdout, in the same shape as
// drover's pino lines ({"level":30,"time":...,"event":"listening","pid":...}),
// so the benchmark scenarios can treat both the same way. A worker that exits
// is forked again at once (no backoff), like a minimal supervisor.
import cluster from 'node:cluster';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name) => {
  const a = args.find((x) => x.startsWith(`--${name}=`));
  return a ? a.slice(name.length + 3) : undefined;
};
const sched = (opt('sched') ?? process.env.BENCH_SCHED ?? 'rr').toLowerCase();
const count = Number(opt('workers') ?? process.env.BENCH_WORKERS ?? 2);
const app = path.resolve(args.find((x) => !x.startsWith('--')) ?? path.join(here, '../../examples/hello.js'));

if (sched !== 'rr' && sched !== 'none') {
  console.error(`unknown --sched=${sched} (expected rr or none)`);
  process.exit(2);
}

// Must be set before the first fork().
cluster.schedulingPolicy = sched === 'none' ? cluster.SCHED_NONE : cluster.SCHED_RR;
cluster.setupPrimary({ exec: app, args: [] });

const log = (event, fields = {}) => {
  process.stdout.write(
    JSON.stringify({ level: 30, time: Date.now(), pid: process.pid, event, ...fields }) + '\n',
  );
};

let stopping = false;
const slotOf = new Map(); // worker.id -> slot (only workers that have not exited)

function fork(slot) {
  const w = cluster.fork();
  // A worker killed from outside can make disconnect()/send() fail with EPIPE.
  w.on('error', (err) => log('worker-error', { wid: w.id, pid: w.process.pid, err: err.message }));
  slotOf.set(w.id, slot);
  log('fork', { wid: w.id, slot, pid: w.process.pid });
}

cluster.on('online', (w) => log('online', { wid: w.id, slot: slotOf.get(w.id), pid: w.process.pid }));
cluster.on('listening', (w, address) => {
  log('listening', {
    wid: w.id,
    slot: slotOf.get(w.id),
    pid: w.process.pid,
    address: `${address.address ?? '*'}:${address.port}`,
  });
});
cluster.on('exit', (w, code, signal) => {
  const slot = slotOf.get(w.id);
  slotOf.delete(w.id);
  log('exit', { wid: w.id, slot, pid: w.process.pid, code, signal, reason: stopping ? 'stop' : 'crash' });
  if (!stopping) {
    log('restart', { slot });
    fork(slot);
  } else if (slotOf.size === 0) {
    log('stopped');
    process.exit(0);
  }
});

function shutdown(sig) {
  if (stopping) return;
  stopping = true;
  log('stopping', { signal: sig });
  const workers = Object.values(cluster.workers);
  if (slotOf.size === 0) process.exit(0);
  for (const w of workers) w.disconnect();
  // Hello has no long requests; do not wait forever on keep-alive sockets.
  setTimeout(() => {
    for (const w of workers) if (w.exitCode === undefined && w.process.exitCode === null) w.process.kill('SIGKILL');
  }, 3000).unref();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));

log('starting', { sched, workers: count, app });
for (let i = 0; i < count; i++) fork(i);
