// E. Connection balancing (issue 4): every drover strategy beside Node cluster
// RR, SCHED_NONE and PM2, 2 workers, three loads per subject start (keep-alive;
// a new connection per request; a new connection per request with 10% of the
// requests burning 20 ms of CPU), medians over rounds, and target ratios paired per round; then drover under Node 24
// (reuseport, kernel, round-robin) beside Node 24's cluster RR.
import { cpuSnapshot, otherCpu } from '../lib/cpu.js';
import { describeLoad, runLoad } from '../lib/load.js';
import { ensureNode24, NODE24_INSTALL } from '../lib/node24.js';
import { freePort } from '../lib/ports.js';
import { code, num, table, verdict } from '../lib/report.js';
import { droverSubject, nodeClusterSubject, pm2Subject } from '../lib/subjects.js';
import { median } from '../lib/time.js';

const APP = 'bench/apps/mixed.js';
// One request in ten burns 20 ms of CPU: every connection cycles through this list.
const MIXED_REQUESTS = [...Array.from({ length: 9 }, () => ({ method: 'GET', path: '/' })), { method: 'GET', path: '/burn' }];

const LOADS = [
  { id: 'keepalive', label: 'keep-alive', opts: {} },
  { id: 'close', label: 'new connection per request', opts: { closeEach: true } },
  { id: 'mixed', label: 'mixed: new connection per request, 10% burn 20 ms CPU', opts: { closeEach: true, requests: MIXED_REQUESTS } },
];

const T = { rrKeepAlive: 0.97, rrClose: 1.3, kernelClose: 2.2, mixedP99: 0.5 };

// Order matters: subjects run one after the other (reversed every other
// round), and the machine drifts over minutes. The drover subjects a target
// compares with Node cluster RR run next to it (round-robin, then the
// mixed-load candidates, then kernel), so each round yields a paired ratio.
const NODE_ORDER = ['round-robin', 'least-loaded', 'least-connections', 'kernel', 'sticky', 'weighted'];

// The subjects a target compares run every round; the others (shown for
// context: SCHED_NONE, PM2, sticky, weighted, round-robin on Node 24) only in
// the first. A target's verdict is the median of its per-round paired ratios,
// so it keeps every round; the context rows lose only their medians over
// rounds. This cut the scenario from 33 subject runs to 23 (about 30% of its
// time, issue 17).
const EVERY_ROUND = new Set(['node-rr', 'drover-round-robin', 'drover-least-loaded', 'drover-least-connections', 'drover-kernel', 'n24-node-rr', 'n24-drover-reuseport', 'n24-drover-kernel']);
const roundsOf = (id, rounds) => (EVERY_ROUND.has(id) ? rounds : 1);

function subjectsFor(node24) {
  const list = [];
  const drover = (b) => ({ group: 'node', base: 'drover', s: droverSubject({ id: `drover-${b}`, label: `drover ${b}`, app: APP, extra: ['--balance', b] }) });
  list.push({ group: 'node', base: 'node-rr', s: nodeClusterSubject({ id: 'node-rr', label: 'Node cluster RR', sched: 'rr', app: APP }) });
  for (const b of NODE_ORDER.slice(0, 4)) list.push(drover(b));
  list.push({ group: 'node', base: 'node-none', s: nodeClusterSubject({ id: 'node-none', label: 'Node cluster SCHED_NONE', sched: 'none', app: APP }) });
  for (const b of NODE_ORDER.slice(4)) list.push(drover(b));
  list.push({ group: 'node', base: 'pm2', s: pm2Subject({ id: 'pm2', label: 'PM2 -i 2', app: APP }) });
  const n24 = node24.path ? { node: node24.path, nodeName: 'node24' } : {};
  list.push({ group: 'node24', base: 'node-rr', s: nodeClusterSubject({ id: 'n24-node-rr', label: 'Node cluster RR (Node 24)', sched: 'rr', app: APP, ...n24 }), unavailable: node24.unavailable });
  for (const b of ['reuseport', 'kernel', 'round-robin']) {
    list.push({ group: 'node24', base: 'drover', s: droverSubject({ id: `n24-drover-${b}`, label: `drover ${b} (Node 24)`, app: APP, extra: ['--balance', b], ...n24 }), unavailable: node24.unavailable });
  }
  return list;
}

/** Shares of the responses per worker, busiest first (fractions). */
function shares(counts) {
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  return total ? [...counts.values()].sort((a, b) => b - a).map((n) => n / total) : [];
}

async function measure(running, load, p) {
  const counts = new Map();
  const cpu0 = cpuSnapshot();
  const r = await runLoad({
    url: running.url,
    duration: p.duration,
    connections: p.connections,
    onPid: (pid) => counts.set(pid, (counts.get(pid) ?? 0) + 1),
    onDrop: () => {},
    ...load.opts,
  });
  return {
    reqPerSec: r.reqPerSec,
    p99: r.p99,
    p50: r.p50,
    errors: r.errors,
    non2xx: r.non2xx,
    dropped: r.dropped,
    afterClose: r.afterClose,
    shares: shares(counts),
    workersSeen: counts.size,
    otherCpu: otherCpu(cpu0, cpuSnapshot()),
  };
}

export default {
  id: 'balance',
  order: 50,
  title: 'E. Connection balancing: strategies vs Node cluster and PM2',

  params({ quick }) {
    return quick ? { duration: 1.5, warmup: 0.5, rounds: 1, connections: 50 } : { duration: 5, warmup: 1, rounds: 3, connections: 50 };
  },

  async run(ctx) {
    const p = this.params(ctx);
    const node24 = await ensureNode24(ctx.log);
    if (node24.unavailable) ctx.log(`  Node 24 part skipped: ${node24.unavailable}`);
    const avail = Object.fromEntries(ctx.subjects.map((s) => [s.id, s.unavailable]));
    const list = subjectsFor(node24);
    const rows = list.map(({ group, base, s, unavailable }) => ({
      id: s.id,
      label: s.label,
      group,
      command: s.command,
      unavailable: unavailable ?? avail[base],
      runs: Object.fromEntries(LOADS.map((l) => [l.id, []])),
      errors: [],
      unclean: [],
      subject: s,
    }));
    for (let round = 0; round < p.rounds; round++) {
      // Forward, then backward, ...: positions even out and neighbours stay neighbours (a rotation would split a pair at the wrap).
      const order = round % 2 === 0 ? rows : [...rows].reverse();
      for (const row of order) {
        if (row.unavailable || round >= roundsOf(row.id, p.rounds)) continue;
        const port = await freePort();
        let running;
        try {
          running = await row.subject.start({ port });
        } catch (err) {
          row.errors.push(`round ${round + 1}: ${err.message}`);
          ctx.log(`  ${row.label}: ${err.message}`);
          continue;
        }
        try {
          await runLoad({ url: running.url, duration: p.warmup, connections: p.connections });
          const parts = [];
          for (const load of LOADS) {
            const m = await measure(running, load, p);
            row.runs[load.id].push({ round: round + 1, ...m });
            parts.push(`${load.id} ${num(m.reqPerSec)} req/s p99 ${m.p99} ms [${m.shares.map((x) => num(100 * x)).join('/')}%]${m.errors + m.non2xx + m.dropped ? ` failed ${m.errors + m.non2xx + m.dropped}` : ''}`);
          }
          ctx.log(`  round ${round + 1} ${row.label}: ${parts.join('; ')}`);
        } catch (err) {
          row.errors.push(`round ${round + 1}: ${err.message}`);
          ctx.log(`  ${row.label}: ${err.message}`);
        } finally {
          const st = await running.stop();
          if (!st.clean) row.unclean.push(st);
        }
      }
    }
    for (const row of rows) {
      delete row.subject;
      row.med = {};
      for (const l of LOADS) {
        const runs = row.runs[l.id];
        row.med[l.id] = runs.length
          ? {
              reqPerSec: median(runs.map((x) => x.reqPerSec)),
              p99: median(runs.map((x) => x.p99)),
              busiest: median(runs.map((x) => x.shares[0] ?? null)),
              failed: runs.reduce((a, x) => a + x.errors + x.non2xx + x.dropped, 0),
              n: runs.length,
            }
          : null;
      }
    }
    return { params: p, node24: { version: node24.version, unavailable: node24.unavailable }, rows };
  },

  targets(data) {
    const get = (id) => data.rows.find((r) => r.id === id);
    const why = (...rs) => {
      for (const r of rs) {
        if (!r) return 'subject missing';
        if (r.unavailable) return `${r.label}: ${r.unavailable}`;
      }
      return null;
    };
    const ratio = (a, b, load, field) => {
      const x = a?.med?.[load]?.[field];
      const y = b?.med?.[load]?.[field];
      return x != null && y ? x / y : null;
    };
    // The ratio within each round (the two subjects measured one after the
    // other, not minutes apart): the verdict is the median of these paired
    // ratios, which the machine's drift over the run does not skew; the ratio
    // of the medians is shown beside it.
    const perRound = (a, b, load, field) => {
      const rs = (a.runs[load] ?? []).map((x) => {
        const y = (b.runs[load] ?? []).find((z) => z.round === x.round);
        return y && y[field] ? x[field] / y[field] : null;
      });
      return rs.length > 0 && rs.every((x) => x != null) ? rs : null;
    };
    const row = (name, a, b, load, field, target, cmp) => {
      const w = why(a, b) ?? (ratio(a, b, load, field) == null ? `no ${load} result for ${a?.med?.[load] ? b?.label : a?.label}` : null);
      const paired = w ? null : perRound(a, b, load, field);
      const r = w ? null : paired ? median(paired) : ratio(a, b, load, field);
      const unit = field === 'p99' ? ' ms' : ' req/s';
      return {
        name,
        ok: r == null ? null : cmp(r, target),
        value:
          r == null
            ? '—'
            : `${paired ? `paired per round ${paired.map((x) => num(x, 2)).join(', ')}: median ${num(r, 2)}; ` : ''}medians ${num(a.med[load][field])}${unit} ÷ ${num(b.med[load][field])}${unit} = ${num(ratio(a, b, load, field), 2)}`,
        why: w,
      };
    };
    const rr = get('node-rr');
    const ge = (r, t) => r >= t;
    const out = [
      row(`balance: round-robin ≥ ${T.rrKeepAlive}× Node cluster RR req/s, keep-alive`, get('drover-round-robin'), rr, 'keepalive', 'reqPerSec', T.rrKeepAlive, ge),
      row(`balance: round-robin ≥ ${T.rrClose}× Node cluster RR req/s, new connection per request`, get('drover-round-robin'), rr, 'close', 'reqPerSec', T.rrClose, ge),
      row(`balance: kernel ≥ ${T.kernelClose}× Node cluster RR req/s, new connection per request`, get('drover-kernel'), rr, 'close', 'reqPerSec', T.kernelClose, ge),
      row(`balance (Node 24): reuseport ≥ ${T.kernelClose}× Node 24 cluster RR req/s, new connection per request`, get('n24-drover-reuseport'), get('n24-node-rr'), 'close', 'reqPerSec', T.kernelClose, ge),
      row(`balance (Node 24): kernel ≥ ${T.kernelClose}× Node 24 cluster RR req/s, new connection per request`, get('n24-drover-kernel'), get('n24-node-rr'), 'close', 'reqPerSec', T.kernelClose, ge),
    ];
    const lc = row('lc', get('drover-least-connections'), rr, 'mixed', 'p99', T.mixedP99, (r, t) => r <= t);
    const ll = row('ll', get('drover-least-loaded'), rr, 'mixed', 'p99', T.mixedP99, (r, t) => r <= t);
    const either = lc.ok === true || ll.ok === true ? true : lc.ok === false || ll.ok === false ? false : null;
    out.push({
      name: `balance: least-connections or least-loaded p99 ≤ ${T.mixedP99}× Node cluster RR p99, mixed`,
      ok: either,
      value: `least-connections ${lc.value}; least-loaded ${ll.value}`,
      why: lc.why ?? ll.why,
    });
    out.push({ name: "balance: sticky keeps 100% of a client IP's connections on one worker", ok: null, value: '—', why: 'checked by the test suite (test/integration), not here: all load comes from 127.0.0.1' });
    return out;
  },

  render(data) {
    const { params: p, rows, node24 } = data;
    const out = [];
    out.push(
      `App ${code(APP)}: a hello app whose responses carry \`x-pid\` (so the load generator counts the requests each worker served); \`GET /burn\` burns 20 ms of CPU synchronously first. 2 workers. Each subject is started fresh once per round and then gets a ${p.warmup} s keep-alive warm-up and the three loads one after the other (${p.duration} s each, ${p.connections} connections); ${p.rounds} round(s) for the subjects a target compares (Node cluster RR, drover round-robin, least-loaded, least-connections and kernel, and on Node 24 cluster RR, reuseport and kernel), one for the others, shown for context; the subjects in one order, reversed every other round (the drover subjects a target compares with Node cluster RR run next to it); the tables show medians over the rounds, and a target's verdict is the median of the per-round ratios (paired: measured back to back), with the ratio of the medians beside it.`,
    );
    out.push('');
    out.push(`1. ${describeLoad(p)}.`);
    out.push(`2. ${describeLoad({ ...p, closeEach: true })}.`);
    out.push(
      `3. Mixed: as 2, and every connection cycles through 9 requests for \`/\` and 1 for \`/burn\` (autocannon's \`requests\` list), so 10% of the requests burn 20 ms of CPU.`,
    );
    out.push('');
    out.push(
      "The worker share is the share of the responses that came from the busiest worker (from the `x-pid` headers; 50% is an even split). All load comes from 127.0.0.1, so `sticky` (hash of the client IP) sends every connection to one worker: read its row as that single-client case, not as a throughput figure; its 100% rule per client IP is checked in the test suite. `weighted` runs without `--weights` (equal weights). `kernel` is drover's SCHED_NONE equivalent (workers accept on the shared socket).",
    );
    out.push('');
    const cell = (m, f, d = 0) => (m ? num(m[f], d) : '—');
    const shareCell = (m) => (m?.busiest != null ? `${num(100 * m.busiest)}%` : '—');
    const rr = rows.find((r) => r.id === 'node-rr');
    const rr24 = rows.find((r) => r.id === 'n24-node-rr');
    const vs = (r, base, load) => (r.med[load]?.reqPerSec && base?.med?.[load]?.reqPerSec ? num(r.med[load].reqPerSec / base.med[load].reqPerSec, 2) : '—');
    const groupTable = (group, base) =>
      table(
        [
          'Subject',
          'keep-alive req/s',
          'keep-alive p99 ms',
          `÷ ${base?.label ?? 'Node cluster RR'}`,
          'conn/request req/s',
          'conn/request p99 ms',
          `÷ ${base?.label ?? 'Node cluster RR'}`,
          'mixed req/s',
          'mixed p99 ms',
          'mixed p99 ÷ RR p99',
          'busiest worker share: keep-alive / conn/request / mixed',
          'failed (all runs)',
          'runs',
        ],
        rows
          .filter((r) => r.group === group)
          .map((r) =>
            r.unavailable
              ? [r.label, '—', '—', '—', '—', '—', '—', '—', '—', '—', '—', '—', `not run: ${r.unavailable}`]
              : [
                  r.label,
                  cell(r.med.keepalive, 'reqPerSec'),
                  cell(r.med.keepalive, 'p99'),
                  vs(r, base, 'keepalive'),
                  cell(r.med.close, 'reqPerSec'),
                  cell(r.med.close, 'p99'),
                  vs(r, base, 'close'),
                  cell(r.med.mixed, 'reqPerSec'),
                  cell(r.med.mixed, 'p99'),
                  r.med.mixed?.p99 != null && base?.med?.mixed?.p99 ? num(r.med.mixed.p99 / base.med.mixed.p99, 2) : '—',
                  LOADS.map((l) => shareCell(r.med[l.id])).join(' / '),
                  num(LOADS.reduce((a, l) => a + (r.med[l.id]?.failed ?? 0), 0)),
                  `${Math.min(...LOADS.map((l) => r.runs[l.id].length))}/${roundsOf(r.id, p.rounds)}`,
                ],
          ),
        ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
      );
    out.push(`Node ${process.version} (the harness's Node):`);
    out.push('');
    out.push(groupTable('node', rr));
    out.push('');
    if (node24.unavailable) {
      out.push(`Node 24: not run (${node24.unavailable}). Install it with ${code(NODE24_INSTALL)}.`);
    } else {
      out.push(`Node 24 (${node24.version}, from the npm package \`node\`, installed with ${code(NODE24_INSTALL)}; drover and the Node cluster baseline run on it, the load generator stays on ${process.version}):`);
      out.push('');
      out.push(groupTable('node24', rr24));
    }
    out.push('');
    out.push('Commands (`<port>` is a free port per start, `node24` the Node 24 binary):');
    out.push('');
    for (const r of rows) out.push(`- ${r.label}: ${code(r.command)}`);
    out.push('');
    out.push('Every run (req/s, p99 ms, worker shares in %):');
    out.push('');
    out.push(
      table(
        ['Round', 'Subject', ...LOADS.map((l) => l.label), 'CPU used by other processes (max, cores)'],
        rows
          .flatMap((r) => {
            const n = Math.max(0, ...LOADS.map((l) => r.runs[l.id].length));
            return Array.from({ length: n }, (_, i) => {
              const runs = LOADS.map((l) => r.runs[l.id][i]);
              return {
                round: runs.find(Boolean)?.round ?? i + 1,
                cells: [
                  r.label,
                  ...runs.map((x) =>
                    x ? `${num(x.reqPerSec)} req/s, p99 ${num(x.p99)}, ${x.shares.map((s) => num(100 * s)).join('/')}${x.errors + x.non2xx + x.dropped ? `, failed ${x.errors + x.non2xx + x.dropped}` : ''}` : '—',
                  ),
                  num(Math.max(...runs.filter(Boolean).map((x) => x.otherCpu ?? 0)), 2),
                ],
              };
            });
          })
          .sort((a, b) => a.round - b.round)
          .map((x) => [x.round, ...x.cells]),
        ['r', 'l', 'l', 'l', 'l', 'r'],
      ),
    );
    const busy = Math.max(0, ...rows.flatMap((r) => LOADS.flatMap((l) => r.runs[l.id].map((x) => x.otherCpu ?? 0))));
    if (busy > 0.2) {
      out.push('');
      out.push(`**Caution:** other processes (not started by this run) used up to ${num(busy, 2)} cores during some runs; ratios are less reliable. Re-run on a quiet machine for numbers to quote.`);
    }
    const problems = rows.flatMap((r) => [...r.errors.map((e) => `${r.label}: ${e}`), ...r.unclean.map((s) => `${r.label}: unclean stop ${JSON.stringify(s)}`)]);
    if (problems.length) {
      out.push('');
      out.push('Problems:');
      out.push('');
      for (const x of problems) out.push(`- ${x}`);
    }
    out.push('');
    out.push('| Target | Measured | Result |');
    out.push('| --- | --- | --- |');
    for (const t of this.targets(data)) out.push(`| ${t.name} | ${t.value} | ${verdict(t.ok, t.why)} |`);
    return out.join('\n');
  },
};
