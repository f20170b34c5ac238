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

/**
 * n rounds of changes, one by each of `writers` in turn, a few ms apart (interleaved, so that the
 * machine's load hits them alike); the delays at every worker, per writer (`collect` topics).
 */
async function fanOut(app, n, writers, collect) {
  const all = () => Promise.all(collect.map(async (topic) => (await Promise.all([...Array(WORKERS).keys()].map((w) => app.ask(w, topic)))).flat()));
  await all();
  for (let i = 0; i < n; i++) {
    for (const write of writers) {
      await write(Number(process.hrtime.bigint()) / 1e6, i);
      await sleep(3);
    }
  }
  await sleep(200);
  return all();
}

export default {
  id: 'state',
  order: 80,
  title: 'H. Shared state: drover store vs a local Redis per worker',
  // redisFanCount: rounds of the redis backend's fan-out, each with a pub/sub message beside it: 4 workers × 1500
  // samples of each, so that p99 (the 60th worst) is not one scheduling hiccup (about 11 s).
  params: ({ quick }) => ({ workers: WORKERS, rateMs: quick ? 300 : 1000, setCount: quick ? 300 : 2000, fanCount: quick ? 100 : 500, redisFanCount: quick ? 100 : 1500, hotMs: quick ? 1000 : 3000 }),

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
    const [setLat, echoLat, redisSetLat] = await app.ask(0, 'write-lat', { url: redis.url, key: 'bench:set', n: p.setCount });
    out.echoP50 = pct(echoLat, 50);
    out.echoP99 = pct(echoLat, 99);
    out.setP50 = pct(setLat, 50);
    out.setP99 = pct(setLat, 99);
    out.redisSetP50 = pct(redisSetLat, 50);
    out.redisSetP99 = pct(redisSetLat, 99);
    ctx.log('  fan-out');
    // The store's push, the floor (the master sends a bare hub message to each worker, timed the same
    // way) and Redis pub/sub to the same 4 processes, interleaved.
    await Promise.all([...Array(WORKERS).keys()].map((w) => app.ask(w, 'sub-start', { url: redis.url, channel: 'bench:fan' })));
    const [fanFile, floorFan, subs] = await fanOut(
      app,
      p.fanCount,
      [
        (t) => app.sup.store.set('fan', { t }),
        (t) => Promise.all([...Array(WORKERS).keys()].map((w) => app.sup.messages.send(w, 'bench.fan', t))),
        (t) => redis.client.publish('bench:fan', JSON.stringify({ t })),
      ],
      ['fan-collect', 'floor-collect', 'sub-collect'],
    );
    await Promise.all([...Array(WORKERS).keys()].map((w) => app.ask(w, 'sub-stop')));
    out.fanFileP50 = pct(fanFile, 50);
    out.fanFileP99 = pct(fanFile, 99);
    out.fanFileSamples = fanFile.length;
    out.fanFloorP50 = pct(floorFan, 50);
    out.fanFloorP99 = pct(floorFan, 99);
    out.pubsubP50 = pct(subs, 50);
    out.pubsubP99 = pct(subs, 99);
    ctx.log('  hot key');
    // 4 writers on one key, and its bound, one writer alone (each increment needs the value the previous
    // one wrote, so increments are serial whatever the number of writers: at best one per round trip),
    // in alternating slices.
    const SLICES = 4;
    const before = await app.sup.store.stats();
    let hotN = 0;
    let soloN = 0;
    for (let i = 0; i < SLICES; i++) {
      const hot = await Promise.all([...Array(WORKERS).keys()].map((w) => app.ask(w, 'hot', { key: 'bench:hot', ms: p.hotMs / SLICES })));
      hotN += hot.reduce((a, b) => a + b, 0);
      soloN += await app.ask(0, 'hot', { key: 'bench:solo', ms: p.hotMs / SLICES });
    }
    out.hotRate = (hotN * 1000) / p.hotMs;
    out.hotSoloRate = (soloN * 1000) / p.hotMs;
    out.hotFinal = (await app.sup.store.get('bench:hot'))?.value;
    out.hotExact = out.hotFinal === hotN;
    // Compare-and-set attempts the master took per increment of the 4 writers (the solo writer's never conflict).
    const after = await app.sup.store.stats();
    out.hotAttempts = (after.writes.ok + after.writes.conflict - before.writes.ok - before.writes.conflict - soloN) / hotN;
    await app.sup.stop();

    // The redis backend: fan-out through Redis's stream and each master's tail, interleaved with Redis
    // pub/sub to the same 4 processes (its anchor), so that the machine's load hits both alike.
    ctx.log('  redis backend fan-out');
    app = await startApp({ stateBackend: 'redis', stateUrl: redis.url, stateNamespace: 'bench' });
    await app.sup.store.set('fan', { t: 0 });
    await pollUntil(async () => (await Promise.all([...Array(WORKERS).keys()].map((w) => app.ask(w, 'peek', { key: 'fan' })))).every((v) => v !== null), {
      deadline: Date.now() + 30_000,
      what: 'the workers to watch fan (redis backend)',
    });
    await Promise.all([...Array(WORKERS).keys()].map((w) => app.ask(w, 'sub-start', { url: redis.url, channel: 'bench:fan' })));
    const [fanRedis, subsRedis] = await fanOut(
      app,
      p.redisFanCount ?? p.fanCount,
      [(t) => app.sup.store.set('fan', { t }), (t) => redis.client.publish('bench:fan', JSON.stringify({ t }))],
      ['fan-collect', 'sub-collect'],
    );
    await Promise.all([...Array(WORKERS).keys()].map((w) => app.ask(w, 'sub-stop')));
    out.fanRedisP50 = pct(fanRedis, 50);
    out.fanRedisP99 = pct(fanRedis, 99);
    out.fanRedisSamples = fanRedis.length;
    out.pubsubRedisP50 = pct(subsRedis, 50);
    out.pubsubRedisP99 = pct(subsRedis, 99);
    out.pubsubRedisSamples = subsRedis.length;
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
      // Against the pub/sub samples taken interleaved with the redis backend's (older results: the file phase's).
      (() => {
        const sub = d.pubsubRedisP99 ?? d.pubsubP99;
        return { name: 'the same, redis backend: ≤ 1.5× Redis pub/sub p99 to 4 subscribers', ok: d.fanRedisP99 <= 1.5 * sub, value: `${num(d.fanRedisP99, 2)} ms vs ${num(sub, 2)} ms (${num(d.fanRedisP99 / sub, 2)}×${d.fanRedisSamples ? `; ${num(d.fanRedisSamples)} samples each, interleaved` : ''})` };
      })(),
      { name: '4 workers × update() on one hot key, embedded: ≥ 5 000 increments/s', ok: d.hotRate >= 5000 && d.hotExact, value: `${num(d.hotRate)}/s${d.hotExact ? '' : ' (NOT exact)'} (one writer alone: ${num(d.hotSoloRate)}/s; bare round trips: ${num(1000 / d.echoP50)}/s)` },
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
          ['a change at 4 workers, p50 / p99 (ms): redis backend vs pub/sub, interleaved', `${num(d.fanRedisP50, 2)} / ${num(d.fanRedisP99, 2)}`, d.pubsubRedisP99 === undefined ? '' : `${num(d.pubsubRedisP50, 2)} / ${num(d.pubsubRedisP99, 2)}`],
          ['4 workers × `update()` on one key, increments/s: file / redis backend', `${num(d.hotRate)} / ${num(d.hotRedisRate)}`, ''],
          ['bound: one writer × `update()` alone, increments/s (file)', num(d.hotSoloRate), ''],
          ['compare-and-set attempts per increment, 4 writers (file)', num(d.hotAttempts, 2), ''],
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
