// E2. Balancing under a paced, open-loop mixed load (issue 17): 70% of the
// capacity measured in this run, 10% of the requests burning 20 ms of CPU, a
// new connection per request and keep-alive. The closed-loop mixed load of the
// balance scenario saturates both cores, so every strategy queues; below
// saturation a strategy that keeps new work off a busy worker should show it.
import { blindPicks, measureCapacity, percentile, runPaced } from '../lib/paced.js';
import { freePort } from '../lib/ports.js';
import { code, num, table } from '../lib/report.js';
import { droverSubject, nodeClusterSubject } from '../lib/subjects.js';
import { median } from '../lib/time.js';

const APP = 'bench/apps/mixed.js';
const BURN_EVERY = 10;
const BURN_MS = 20;
const LOAD_SHARE = 0.7;
const TARGET = 0.5;

const MODES = [
  { id: 'close', label: 'new connection per request', closeEach: true },
  { id: 'keepalive', label: 'keep-alive', closeEach: false },
];

// Node cluster RR first and last of each forward/backward pass would leave the
// drover subjects unevenly far from it; in this order each is at most two
// positions away.
function subjects() {
  const drover = (b) => droverSubject({ id: `drover-${b}`, label: `drover ${b}`, app: APP, extra: ['--balance', b] });
  return [
    drover('least-connections'),
    drover('round-robin'),
    nodeClusterSubject({ id: 'node-rr', label: 'Node cluster RR', sched: 'rr', app: APP }),
    drover('least-loaded'),
  ];
}

async function withSubject(subject, fn) {
  const running = await subject.start({ port: await freePort() });
  try {
    return await fn(running);
  } finally {
    await running.stop();
  }
}

export default {
  id: 'openloop',
  order: 52,
  title: 'E2. Balancing under an open-loop mixed load (70% of capacity)',

  params({ quick }) {
    return quick ? { probe: 1.5, duration: 2, warmup: 0.5, rounds: 1 } : { probe: 3, duration: 4, warmup: 0.5, rounds: 3 };
  },

  async run(ctx) {
    const p = this.params(ctx);
    const list = subjects();
    const unavailable = ctx.subjects.find((s) => s.id === 'node-rr')?.unavailable;
    if (unavailable) return { params: p, unavailable, rows: [] };
    // Capacity: Node cluster RR, closed loop with the same generator and request mix.
    const capacity = {};
    await withSubject(
      list.find((s) => s.id === 'node-rr'),
      async (running) => {
        for (const m of MODES) {
          await measureCapacity({ url: running.url, duration: p.warmup, closeEach: m.closeEach, burnEvery: BURN_EVERY });
          capacity[m.id] = (await measureCapacity({ url: running.url, duration: p.probe, closeEach: m.closeEach, burnEvery: BURN_EVERY })).reqPerSec;
        }
      },
    );
    const rates = Object.fromEntries(MODES.map((m) => [m.id, Math.round(capacity[m.id] * LOAD_SHARE)]));
    ctx.log(`  capacity (Node cluster RR, closed loop): ${MODES.map((m) => `${m.id} ${num(capacity[m.id])} req/s`).join(', ')}; offered ${MODES.map((m) => `${m.id} ${rates[m.id]}/s`).join(', ')}`);
    const rows = list.map((s) => ({ id: s.id, label: s.label, command: s.command, runs: Object.fromEntries(MODES.map((m) => [m.id, []])), errors: [] }));
    for (let round = 0; round < p.rounds; round++) {
      const order = round % 2 === 0 ? list : [...list].reverse();
      for (const s of order) {
        const row = rows.find((r) => r.id === s.id);
        try {
          await withSubject(s, async (running) => {
            await runPaced({ url: running.url, rate: rates.keepalive, duration: p.warmup, burnEvery: BURN_EVERY });
            const parts = [];
            for (const m of MODES) {
              const r = await runPaced({ url: running.url, rate: rates[m.id], duration: p.duration, closeEach: m.closeEach, burnEvery: BURN_EVERY });
              const b = blindPicks(r.samples, BURN_MS);
              const { samples, ...rest } = r;
              row.runs[m.id].push({ round: round + 1, ...rest, blind: b.total ? b.blind / b.total : null, burnP99: burnP99(samples) });
              parts.push(`${m.id} p50 ${num(r.p50, 1)} p99 ${num(r.p99, 1)} ms, blind ${num(100 * (b.blind / (b.total || 1)), 1)}%${r.failed + r.overflow ? `, failed ${r.failed + r.overflow}` : ''}`);
            }
            ctx.log(`  round ${round + 1} ${s.label}: ${parts.join('; ')}`);
          });
        } catch (err) {
          row.errors.push(`round ${round + 1}: ${err.message}`);
          ctx.log(`  ${s.label}: ${err.message}`);
        }
      }
    }
    for (const row of rows) {
      row.med = {};
      for (const m of MODES) {
        const runs = row.runs[m.id];
        row.med[m.id] = runs.length
          ? {
              p50: median(runs.map((x) => x.p50)),
              p99: median(runs.map((x) => x.p99)),
              p999: median(runs.map((x) => x.p999)),
              rate: median(runs.map((x) => x.rate)),
              blind: median(runs.map((x) => x.blind)),
              failed: runs.reduce((a, x) => a + x.failed + x.overflow, 0),
              n: runs.length,
            }
          : null;
      }
    }
    return { params: p, capacity, rates, rows };
  },

  targets(data) {
    if (data.unavailable) return [{ name: 'openloop: least-connections or least-loaded p99 ≤ 0.5× Node cluster RR p99', ok: null, value: '—', why: data.unavailable }];
    const get = (id) => data.rows.find((r) => r.id === id);
    const rr = get('node-rr');
    // Paired: the ratio within each round (the subjects ran minutes apart at most), then the median.
    const paired = (a, mode) => {
      const rs = a.runs[mode].map((x) => {
        const y = rr.runs[mode].find((z) => z.round === x.round);
        return y?.p99 && x.p99 != null ? x.p99 / y.p99 : null;
      });
      return rs.length > 0 && rs.every((x) => x != null) ? rs : null;
    };
    return MODES.map((m) => {
      const cands = ['drover-least-connections', 'drover-least-loaded'].map((id) => ({ row: get(id), ratios: paired(get(id), m.id) }));
      const meds = cands.map((c) => (c.ratios ? median(c.ratios) : null));
      const known = meds.filter((x) => x != null);
      return {
        name: `openloop: least-connections or least-loaded p99 ≤ ${TARGET}× Node cluster RR p99, ${m.label}`,
        ok: known.length === 0 ? null : known.some((x) => x <= TARGET),
        value: cands.map((c, i) => `${c.row.label.replace('drover ', '')} ${c.ratios ? `paired ${c.ratios.map((x) => num(x, 2)).join(', ')}: median ${num(meds[i], 2)}` : '—'}`).join('; '),
        why: known.length === 0 ? 'no paired run' : null,
      };
    });
  },

  render(data) {
    const { params: p } = data;
    if (data.unavailable) return `Not run: ${data.unavailable}.`;
    const out = [];
    out.push(
      `App ${code(APP)} (\`GET /burn\` burns ${BURN_MS} ms of CPU), 2 workers. Load: ${code('bench/lib/paced.js')}, open loop: request i is sent at start + i / rate whatever the earlier responses did, and its latency is measured from that scheduled time (no coordinated omission); every ${BURN_EVERY}th request is \`/burn\`. The rate is ${LOAD_SHARE * 100}% of the capacity measured at the start of this run: Node cluster RR under the same request mix with the same generator in closed loop (32 concurrent loops, ${p.probe} s after a ${p.warmup} s warm-up): ${MODES.map((m) => `${m.label} ${num(data.capacity[m.id])} req/s → offered ${data.rates[m.id]} req/s`).join('; ')}. Each subject is started fresh per round, warmed up ${p.warmup} s, then gets the two loads (${p.duration} s each); ${p.rounds} round(s), the order reversed every other round; the verdict is the median of the per-round ratios to Node cluster RR (paired).`,
    );
    out.push('');
    out.push(
      `"Blind" is the share of the non-burn requests that reached a worker while it was burning (it answered a \`/burn\` within the next ${BURN_MS} ms) although another worker was free: the picks a load-aware balancer should have avoided (an estimate from the client's side: the burn interval is taken as the ${BURN_MS} ms before the \`/burn\` response). With keep-alive the balancer only places connections (opened as the open loop needs them, then reused first-in first-out by the client's agent): which worker a request meets is the client's choice of socket, so no strategy can steer requests there, and the blind share stays near the burn's share of the time.`,
    );
    out.push('');
    const cell = (m, f, d = 1) => (m ? num(m[f], d) : '—');
    const rr = data.rows.find((r) => r.id === 'node-rr');
    for (const m of MODES) {
      out.push(`${m.label[0].toUpperCase()}${m.label.slice(1)}, ${data.rates[m.id]} req/s offered:`);
      out.push('');
      out.push(
        table(
          ['Subject', 'sent req/s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'p99 ÷ Node cluster RR', 'blind', 'failed (all runs)', 'runs'],
          data.rows.map((r) => {
            const x = r.med[m.id];
            return [
              r.label,
              cell(x, 'rate', 0),
              cell(x, 'p50'),
              cell(x, 'p99'),
              cell(x, 'p999'),
              x?.p99 != null && rr?.med[m.id]?.p99 ? num(x.p99 / rr.med[m.id].p99, 2) : '—',
              x?.blind != null ? `${num(100 * x.blind, 1)}%` : '—',
              x ? num(x.failed) : '—',
              `${r.runs[m.id].length}/${p.rounds}${r.errors.length ? ` (${r.errors.join('; ')})` : ''}`,
            ];
          }),
          ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
        ),
      );
      out.push('');
    }
    return out.join('\n');
  },
};

const burnP99 = (samples) => percentile(samples.filter((s) => s.burn).map((s) => s.latency).sort((a, b) => a - b), 99);
