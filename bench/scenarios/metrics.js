// H. Metrics: scrape time with 4 apps × 4 workers × 200 app series, drover
// (`drover run --metrics-port`, one master per app) against prom-client's
// AggregatorRegistry on Node's cluster (one primary per app) with the same
// metrics; and hello throughput with metrics on (scraped every second) vs off,
// in alternating paired bursts.
import http from 'node:http';
import path from 'node:path';
import { runLoad, describeLoad } from '../lib/load.js';
import { freePort } from '../lib/ports.js';
import { startProcess, stopProcess, describeOutput } from '../lib/procs.js';
import { num, table, verdict } from '../lib/report.js';
import { ROOT, droverSubject } from '../lib/subjects.js';
import { median, pollUntil } from '../lib/time.js';

const DROVER = path.join(ROOT, 'dist/cli/main.js');
const TOKEN = 'bench-token-bench-token-bench';
const APPS = 4;
const WORKERS = 4;
const SCRAPE_EVERY_MS = 1000;

function scrape(port, token) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.get({ host: '127.0.0.1', port, path: '/metrics', agent: false, headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
      let bytes = 0;
      res.on('data', (c) => (bytes += c.length));
      res.on('end', () => (res.statusCode === 200 ? resolve({ ms: performance.now() - t0, bytes }) : reject(new Error(`status ${res.statusCode}`))));
    });
    req.setTimeout(15_000, () => req.destroy(new Error('scrape timed out')));
    req.on('error', reject);
  });
}

const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : null;
};

/** Starts 4 apps of one kind; resolves with their metrics ports and a stop(). */
async function startGroup(kind) {
  const procs = [];
  const ports = [];
  for (let i = 0; i < APPS; i++) {
    const metricsPort = await freePort();
    const appPort = await freePort();
    const proc =
      kind === 'drover'
        ? startProcess({
            name: `drover-metrics-${i}`,
            cmd: process.execPath,
            args: [DROVER, 'run', 'bench/apps/metrics-hello.js', '-i', String(WORKERS), '--name', `app${i}`, '--metrics-port', String(metricsPort), '--metrics-token', TOKEN, '--log-level', 'warn'],
            env: { PORT: String(appPort) },
            cwd: ROOT,
          })
        : startProcess({
            name: `cluster-metrics-${i}`,
            cmd: process.execPath,
            args: [path.join(ROOT, 'bench/apps/cluster-metrics.js'), `--workers=${WORKERS}`],
            env: { PORT: String(appPort), METRICS_PORT: String(metricsPort) },
            cwd: ROOT,
          });
    procs.push(proc);
    ports.push(metricsPort);
  }
  const stop = () => Promise.all(procs.map((p) => stopProcess(p, { timeoutMs: 8000 })));
  try {
    // Ready: every app's page carries the app series of all its workers.
    await pollUntil(
      async () => {
        for (const port of ports) {
          const body = await new Promise((resolve) => {
            http
              .get({ host: '127.0.0.1', port, path: '/metrics', agent: false, headers: kind === 'drover' ? { authorization: `Bearer ${TOKEN}` } : {} }, (res) => {
                let b = '';
                res.on('data', (c) => (b += c));
                res.on('end', () => resolve(b));
              })
              .on('error', () => resolve(''));
          });
          // r199 is incremented 199 times in each worker: the merged value is 4 × 199.
          if (!body.includes(`route="r199"`) || !new RegExp(`bench_events_total\\{[^}]*route="r199"[^}]*\\} ${WORKERS * 199}\\b`).test(body)) return false;
        }
        return true;
      },
      { deadline: Date.now() + 60_000, intervalMs: 200, what: `${kind} apps serving merged metrics` },
    );
  } catch (err) {
    await stop();
    throw new Error(`${err.message}. ${procs.map(describeOutput).join(' ')}`);
  }
  return { ports, stop, token: kind === 'drover' ? TOKEN : undefined };
}

/**
 * Both groups run at once and are scraped in turn (drover app i, cluster app i,
 * the order swapped every pass), so the machine's load at any moment weighs on
 * both alike: the ratio is paired, not two runs minutes apart.
 */
async function measureScrapes(scrapes, log) {
  const groups = {};
  try {
    for (const kind of ['drover', 'cluster']) groups[kind] = await startGroup(kind);
    const kinds = ['drover', 'cluster'];
    for (let i = 0; i < 5; i++) for (const k of kinds) for (const port of groups[k].ports) await scrape(port, groups[k].token);
    const out = { drover: { times: [], bytes: 0 }, cluster: { times: [], bytes: 0 } };
    for (let i = 0; i < scrapes; i++) {
      const order = i % 2 === 0 ? kinds : [...kinds].reverse();
      for (let app = 0; app < APPS; app++) {
        for (const k of order) {
          const r = await scrape(groups[k].ports[app], groups[k].token);
          out[k].times.push(r.ms);
          out[k].bytes = r.bytes;
        }
      }
    }
    for (const k of kinds) log(`  ${k}: ${out[k].times.length} scrapes, p50 ${num(percentile(out[k].times, 50), 1)} ms, p99 ${num(percentile(out[k].times, 99), 1)} ms, ${out[k].bytes} bytes`);
    return out;
  } finally {
    await Promise.all(Object.values(groups).map((g) => g.stop()));
  }
}

/**
 * Hello throughput with metrics off and on. Both subjects run at once (idle
 * while the other is loaded) and take the load in turn, in short bursts, off/on
 * then on/off (ABBA): each pair's ratio compares two bursts seconds apart, so the
 * machine's drift (other work, CPU frequency) weighs on both alike; a fresh pair
 * of subjects each round. The subject with metrics on is scraped every
 * scrapeEveryMs (a dashboard's rate; Prometheus' sample config scrapes every 15 s)
 * while it takes the load, as a scraper would at any time: the scrapes and
 * whatever metrics cost in the master and workers fall inside its own bursts.
 */
async function measureLoad(p, log) {
  const runs = { on: [], off: [] };
  const ratios = [];
  for (let round = 0; round < p.loadRounds; round++) {
    const metricsPort = await freePort();
    const subjects = {
      off: droverSubject({ id: 'drover-metrics-off', label: 'drover, metrics off' }),
      on: droverSubject({ id: 'drover-metrics-on', label: 'drover, metrics on', extra: ['--metrics-port', String(metricsPort), '--metrics-token', TOKEN] }),
    };
    const running = {};
    try {
      for (const mode of ['off', 'on']) running[mode] = await subjects[mode].start({ port: await freePort() });
      for (const mode of ['off', 'on']) await runLoad({ url: running[mode].url, duration: 1, connections: p.connections });
      for (let pair = 0; pair < p.pairs; pair++) {
        const got = {};
        for (const mode of pair % 2 === 0 ? ['off', 'on'] : ['on', 'off']) {
          let scraper;
          if (mode === 'on') {
            const once = () => scrape(metricsPort, TOKEN).catch(() => {});
            once();
            scraper = setInterval(once, p.scrapeEveryMs);
          }
          try {
            got[mode] = await runLoad({ url: running[mode].url, duration: p.burst, connections: p.connections });
          } finally {
            clearInterval(scraper);
          }
          runs[mode].push(got[mode]);
        }
        ratios.push(got.on.reqPerSec / got.off.reqPerSec);
        log(`  round ${round + 1} pair ${pair + 1}: off ${num(got.off.reqPerSec)} req/s, on ${num(got.on.reqPerSec)} req/s, ratio ${num(ratios.at(-1), 3)}`);
      }
    } finally {
      await Promise.all(Object.values(running).map((r) => r.stop()));
    }
  }
  const rps = (mode) => runs[mode].map((r) => r.reqPerSec);
  return { on: median(rps('on')), off: median(rps('off')), pairedRatio: median(ratios), ratios, runs };
}

export default {
  id: 'metrics',
  order: 80,
  title: 'H. Metrics: scrape time and the cost of metrics on throughput',

  params({ quick }) {
    // p99 over scrapes × APPS × rounds per subject (2,000: the 20th slowest). Load: loadRounds × pairs paired bursts
    // (18), pairs even so that each order (off first, on first) comes equally often in every round.
    return quick
      ? { scrapes: 25, rounds: 1, burst: 2, pairs: 2, loadRounds: 1, connections: 50, scrapeEveryMs: SCRAPE_EVERY_MS }
      : { scrapes: 250, rounds: 2, burst: 3, pairs: 6, loadRounds: 3, connections: 50, scrapeEveryMs: SCRAPE_EVERY_MS };
  },

  async run(ctx) {
    const p = this.params(ctx);
    const scrapeRuns = { drover: [], cluster: [] };
    for (let round = 0; round < p.rounds; round++) {
      const r = await measureScrapes(p.scrapes, ctx.log);
      for (const kind of ['drover', 'cluster']) scrapeRuns[kind].push(r[kind]);
    }
    const load = await measureLoad(p, ctx.log);
    const all = (kind) => scrapeRuns[kind].flatMap((r) => r.times);
    return {
      params: p,
      scrape: Object.fromEntries(['drover', 'cluster'].map((k) => [k, { p50: percentile(all(k), 50), p99: percentile(all(k), 99), n: all(k).length, bytes: scrapeRuns[k][0]?.bytes }])),
      load,
    };
  },

  render(data) {
    const { params: p, scrape: s, load } = data;
    const ratio = s.drover.p99 / s.cluster.p99;
    const out = [];
    out.push(
      `Scrape: ${APPS} apps × ${WORKERS} workers × 200 app series (one prom-client counter with 200 label values per worker, merged into 200 series per app). drover: one \`drover run bench/apps/metrics-hello.js -i ${WORKERS} --metrics-port\` per app (the page also carries drover's own families and the master's process metrics); baseline: \`bench/apps/cluster-metrics.js\`, Node's cluster with prom-client's \`AggregatorRegistry\` in the primary. Both groups run at once, started fresh each round; sequential scrapes, one drover app then the matching cluster app (order swapped every pass), ${p.scrapes} per app per round, ${p.rounds} round(s). Each worker's counter moves every 50 ms (as a live app's do). drover serves the snapshots workers push every second (\`metricsIntervalMs\`, so its app series are up to 1 s old), its own families read again after a lifecycle event or once 1 s old (by a timer while scrapes come; the state store's at every scrape), the page cached between changes; the baseline asks every worker at each scrape.`,
    );
    out.push('');
    out.push(
      table(
        ['Subject', 'scrapes', 'p50 ms', 'p99 ms', 'page bytes'],
        [
          ['drover', s.drover.n, num(s.drover.p50, 1), num(s.drover.p99, 1), num(s.drover.bytes)],
          ['Node cluster + AggregatorRegistry', s.cluster.n, num(s.cluster.p50, 1), num(s.cluster.p99, 1), num(s.cluster.bytes)],
        ],
        ['l', 'r', 'r', 'r', 'r'],
      ),
    );
    out.push('');
    out.push(`Scrape p99 ratio, drover / AggregatorRegistry: ${num(ratio, 2)} (p50: ${num(s.drover.p50 / s.cluster.p50, 2)}).`);
    out.push('');
    out.push(
      `Throughput of examples/hello.js with 2 workers, ${describeLoad({ duration: p.burst, connections: p.connections })} per burst. ${p.loadRounds} round(s), each with a fresh drover with metrics off and one with metrics on, running at once and loaded in turn: ${p.pairs} pairs of bursts per round, off then on and on then off alternately (after a 1 s warm-up of each), the subject with metrics on scraped every ${num(p.scrapeEveryMs / 1000)} s during its bursts (a dashboard's rate; Prometheus' sample configuration scrapes every 15 s). Median req/s per burst: metrics off ${num(load.off)}, metrics on ${num(load.on)}; ratio on/off per pair: ${(load.ratios ?? []).map((r) => num(r, 3)).join(', ')}; median of the paired ratios ${num(load.pairedRatio, 3)} (ratio of the medians: ${num(load.on / load.off, 3)}).`,
    );
    return out.join('\n');
  },

  targets(data) {
    const { scrape: s, load } = data;
    const ratio = s.drover.p99 / s.cluster.p99;
    // The median of the per-pair ratios: each pairs on with off under the same moment's load (the ratio of the medians mixes rounds).
    const t = load.pairedRatio ?? load.on / load.off;
    return [
      { name: 'scrape p99 ≤ 0.5× AggregatorRegistry', ok: Number.isFinite(ratio) ? ratio <= 0.5 : null, value: num(ratio, 2), why: 'no scrape measured' },
      { name: 'hello throughput with metrics on ≥ 0.98× off (median of paired burst ratios)', ok: Number.isFinite(t) ? t >= 0.98 : null, value: `${num(t, 3)} (ratio of the medians: ${num(load.on / load.off, 3)})`, why: 'no load measured' },
    ];
  },
};
