// H. Shared state (issue 12): drover's store beside what users do today, every
// worker talking to a local Redis itself (ioredis GET/SET, pub/sub for
// changes). Same run, same 4 workers, a local redis-server on a free port.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { freePort } from '../lib/ports.js';
import { onCleanup, startProcess } from '../lib/procs.js';
import { code, num, table, verdict } from '../lib/report.js';
import { ROOT } from '../lib/subjects.js';
import { pollUntil, sleep } from '../lib/time.js';

const APP = path.join(ROOT, 'bench/apps/state-worker.js');
const WORKERS = 4;

function pct(values, p) {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

async function startRedis() {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'drover-bench-redis-'));
  const proc = startProcess({ name: 'redis-server', cmd: 'redis-server', args: ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'] });
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  const { Redis } = await import('ioredis');
  const url = `redis://127.0.0.1:${port}`;
  const client = new Redis(url, { lazyConnect: true, retryStrategy: () => 50 });
  client.on('error', () => {});
  await pollUntil(async () => {
    try {
      await client.connect().catch(() => {});
      return (await client.ping()) === 'PONG';
    } catch {
      return false;
    }
  }, { deadline: Date.now() + 10_000, what: 'redis-server to answer' });
  onCleanup(() => client.disconnect());
  return { url, client, proc };
}

async function startApp(options) {
  const { supervise } = await import(pathToFileURL(path.join(ROOT, 'dist/index.js')).href);
  const sup = supervise({ script: APP, instances: WORKERS, waitReady: true, heartbeatIntervalMs: 0, logLevel: 'silent', ...options }, { logger: false });
  onCleanup(() => sup.stop({ force: true }));
  await sup.ready;
  const ask = (w, topic, args) => sup.messages.request(w, topic, args, { timeoutMs: 120_000 });
  return { sup, ask };
}

/** n changes written by `write(t)` one after another, a few ms apart; the delays at every worker. */
async function fanOut(app, n, write) {
  await Promise.all([...Array(WORKERS).keys()].map((w) => app.ask(w, 'fan-collect')));
  for (let i = 0; i < n; i++) {
    await write(Number(process.hrtime.bigint()) / 1e6, i);
    await sleep(3);
  }
  await sleep(200);
  return (await Promise.all([...Array(WORKERS).keys()].map((w) => app.ask(w, 'fan-collect')))).flat();
}

export default {
  id: 'state',
  order: 80,
  title: 'H. Shared state: drover store vs a local Redis per worker',
  params: ({ quick }) => ({ workers: WORKERS, rateMs: quick ? 300 : 1000, setCount: quick ? 300 : 2000, fanCount: quick ? 100 : 500, hotMs: quick ? 1000 : 3000 }),

  async run(ctx) {
    const p = this.params(ctx);
    const redis = await startRedis();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'drover-bench-state-'));
    onCleanup(() => rmSync(dir, { recursive: true, force: true }));
    const out = { params: p };

    // Embedded (file backend, the default).
    let app = await startApp({ stateBackend: 'file', stateDir: dir });
    app.sup.messages.handle('bench.echo', (x) => x);
    await app.sup.store.set('bench:k', { hello: 'world', n: 42 });
    await redis.client.set('bench:k', JSON.stringify({ hello: 'world', n: 42 }));
    // Every worker's watch of 'fan' is synced (its replica has the key) before anything is timed.
    await app.sup.store.set('fan', { t: 0 });
    await pollUntil(async () => (await Promise.all([...Array(WORKERS).keys()].map((w) => app.ask(w, 'peek', { key: 'fan' })))).every((v) => v !== null), {
      deadline: Date.now() + 30_000,
      what: 'the workers to watch fan',
    });
    await app.ask(0, 'get-rate', { key: 'fan', ms: 50 });
    ctx.log('  reads');
    out.peekRate = await app.ask(0, 'peek-rate', { key: 'fan', ms: p.rateMs });
    out.getRate = await app.ask(0, 'get-rate', { key: 'fan', ms: p.rateMs });
    out.redisGetRate = await app.ask(0, 'redis-get-rate', { url: redis.url, key: 'bench:k', ms: p.rateMs });
    ctx.log('  set latency');
    const setLat = await app.ask(0, 'set-lat', { key: 'bench:set', n: p.setCount });
    const redisSetLat = await app.ask(0, 'redis-set-lat', { url: redis.url, key: 'bench:set', n: p.setCount });
    // The floor, interleaved with the two above: the same hub round trip with no store behind it.
    const echoLat = await app.ask(0, 'echo-lat', { n: p.setCount });
    out.echoP50 = pct(echoLat, 50);
    out.echoP99 = pct(echoLat, 99);
    out.setP50 = pct(setLat, 50);
    out.setP99 = pct(setLat, 99);
    out.redisSetP50 = pct(redisSetLat, 50);
    out.redisSetP99 = pct(redisSetLat, 99);
    ctx.log('  fan-out');
    const fanFile = await fanOut(app, p.fanCount, (t) => app.sup.store.set('fan', { t }));
    out.fanFileP50 = pct(fanFile, 50);
    out.fanFileP99 = pct(fanFile, 99);
    out.fanFileSamples = fanFile.length;
    // The floor: one bare hub message from the master to each worker, timed the same way.
    await Promise.all([...Array(WORKERS).keys()].map((w) => app.ask(w, 'floor-collect')));
    await fanOut(app, p.fanCount, (t) => Promise.all([...Array(WORKERS).keys()].map((w) => app.sup.messages.send(w, 'bench.fan', t))));
    const floorFan = (await Promise.all([...Array(WORKERS).keys()].map((w) => app.ask(w, 'floor-collect')))).flat();
    out.fanFloorP50 = pct(floorFan, 50);
    out.fanFloorP99 = pct(floorFan, 99);
    await Promise.all([...Array(WORKERS).keys()].map((w) => app.ask(w, 'sub-start', { url: redis.url, channel: 'bench:fan' })));
    const pub = await fanOut(app, p.fanCount, (t) => redis.client.publish('bench:fan', JSON.stringify({ t })));
    const subs = (await Promise.all([...Array(WORKERS).keys()].map((w) => app.ask(w, 'sub-collect')))).flat();
    out.pubsubP50 = pct(subs.length ? subs : pub, 50);
    out.pubsubP99 = pct(subs.length ? subs : pub, 99);
    ctx.log('  hot key');
    const hot = await Promise.all([...Array(WORKERS).keys()].map((w) => app.ask(w, 'hot', { key: 'bench:hot', ms: p.hotMs })));
    out.hotRate = (hot.reduce((a, b) => a + b, 0) * 1000) / p.hotMs;
    out.hotFinal = (await app.sup.store.get('bench:hot'))?.value;
    // The bound of a hot key: each increment needs the value the previous one wrote, so increments
    // are serial whatever the number of writers; one writer alone runs at one per round trip.
    out.hotSoloRate = ((await app.ask(0, 'hot', { key: 'bench:solo', ms: p.hotMs })) * 1000) / p.hotMs;
    await app.sup.stop();

    // The redis backend: fan-out through Redis's stream and each master's tail.
    ctx.log('  redis backend fan-out');
    app = await startApp({ stateBackend: 'redis', stateUrl: redis.url, stateNamespace: 'bench' });
    await app.sup.store.set('fan', { t: 0 });
    const fanRedis = await fanOut(app, p.fanCount, (t) => app.sup.store.set('fan', { t }));
    out.fanRedisP50 = pct(fanRedis, 50);
    out.fanRedisP99 = pct(fanRedis, 99);
    const hotR = await Promise.all([...Array(WORKERS).keys()].map((w) => app.ask(w, 'hot', { key: 'bench:hot', ms: p.hotMs })));
    out.hotRedisRate = (hotR.reduce((a, b) => a + b, 0) * 1000) / p.hotMs;
    await app.sup.stop();
    out.load = os.loadavg();
    return out;
  },

  targets(d) {
    return [
      { name: 'peek: ≥ 100× the rate of an ioredis GET from a worker', ok: d.peekRate >= 100 * d.redisGetRate, value: `${num(d.peekRate / d.redisGetRate)}×` },
      { name: 'a watched get: ≥ 100× an ioredis GET', ok: d.getRate >= 100 * d.redisGetRate, value: `${num(d.getRate / d.redisGetRate, 1)}×` },
      { name: 'set round trip p50, file backend: ≤ an ioredis SET p50', ok: d.setP50 <= d.redisSetP50, value: `${num(d.setP50, 3)} ms vs ${num(d.redisSetP50, 3)} ms (bare hub round trip: ${num(d.echoP50, 3)} ms)` },
      { name: 'a change fanned out to 4 workers, p99, embedded: ≤ 2 ms', ok: d.fanFileP99 <= 2, value: `${num(d.fanFileP99, 2)} ms (a bare hub message to 4 workers: ${num(d.fanFloorP99, 2)} ms)` },
      { name: 'the same, redis backend: ≤ 1.5× Redis pub/sub p99 to 4 subscribers', ok: d.fanRedisP99 <= 1.5 * d.pubsubP99, value: `${num(d.fanRedisP99, 2)} ms vs ${num(d.pubsubP99, 2)} ms (${num(d.fanRedisP99 / d.pubsubP99, 2)}×)` },
      { name: '4 workers × update() on one hot key, embedded: ≥ 5 000 increments/s', ok: d.hotRate >= 5000, value: `${num(d.hotRate)}/s (one writer alone: ${num(d.hotSoloRate)}/s; bare round trips: ${num(1000 / d.echoP50)}/s)` },
    ];
  },

  render(d) {
    const lines = [];
    lines.push('What users do today is the anchor: each worker talks to a local Redis itself (ioredis `GET`/`SET`, pub/sub for changes). drover: `state` from `drover/worker`, the master holding the store (`file` backend, or `redis`). 4 workers; latencies from the call in one process to the callback in another use `process.hrtime` (CLOCK_MONOTONIC, one clock for every process of the machine).');
    lines.push('');
    lines.push(
      table(
        ['measure', 'drover', 'ioredis / Redis'],
        [
          ['reads/s from a worker: `peek` / a watched `get` vs `GET`', `${num(d.peekRate)} / ${num(d.getRate)}`, num(d.redisGetRate)],
          ['`set` round trip p50 / p99 (ms), file backend vs `SET`', `${num(d.setP50, 3)} / ${num(d.setP99, 3)}`, `${num(d.redisSetP50, 3)} / ${num(d.redisSetP99, 3)}`],
          ['floor: a bare round trip worker → master → worker on the hub, p50 / p99 (ms)', `${num(d.echoP50, 3)} / ${num(d.echoP99, 3)}`, ''],
          ['a change at 4 workers, p50 / p99 (ms): file backend vs pub/sub', `${num(d.fanFileP50, 2)} / ${num(d.fanFileP99, 2)}`, `${num(d.pubsubP50, 2)} / ${num(d.pubsubP99, 2)}`],
          ['floor: a bare hub message master → 4 workers, p50 / p99 (ms)', `${num(d.fanFloorP50, 2)} / ${num(d.fanFloorP99, 2)}`, ''],
          ['a change at 4 workers, p50 / p99 (ms): redis backend', `${num(d.fanRedisP50, 2)} / ${num(d.fanRedisP99, 2)}`, ''],
          ['4 workers × `update()` on one key, increments/s: file / redis backend', `${num(d.hotRate)} / ${num(d.hotRedisRate)}`, ''],
          ['bound: one writer × `update()` alone, increments/s (file)', num(d.hotSoloRate), ''],
        ],
        ['l', 'r', 'r'],
      ),
    );
    lines.push('');
    lines.push(`Load average during the run: ${d.load.map((x) => x.toFixed(1)).join(', ')}. Parameters: ${code(JSON.stringify(d.params))}.`);
    lines.push('');
    lines.push('| target | value | |');
    lines.push('| --- | --- | --- |');
    for (const t of this.targets(d)) lines.push(`| ${t.name} | ${t.value} | ${verdict(t.ok)} |`);
    return lines.join('\n');
  },
};
