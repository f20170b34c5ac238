// A. Throughput: keep-alive load against each subject, medians over rounds;
// the subjects are interleaved within each round, in one order and reversed
// every other round, so drover and Node cluster RR (neighbours in SUBJECTS)
// always run back to back. The verdict is the median of those paired per-round
// ratios, as in the other scenarios: the machine drifts over minutes (27k →
// 47k req/s for every subject across the rounds of one quiet run), which a
// ratio of medians over rounds would take for a difference between subjects.
import { cpuSnapshot, otherCpu } from '../lib/cpu.js';
import { describeLoad, runLoad } from '../lib/load.js';
import { freePort } from '../lib/ports.js';
import { num, table, verdict } from '../lib/report.js';
import { median } from '../lib/time.js';

const TARGET_RATIO = 0.97;

/**
 * drover ÷ Node cluster RR: the paired ratio of each round both ran in, their
 * median (the verdict), and the ratio of the medians over rounds (shown beside
 * it). Paired ratios need every drover round to have its Node cluster RR run;
 * otherwise the verdict falls back to the ratio of the medians.
 */
export function throughputRatio(rows) {
  const get = (id) => rows.find((r) => r.id === id);
  const d = get('drover');
  const rr = get('node-rr');
  const ofMedians = d?.reqPerSec && rr?.reqPerSec ? d.reqPerSec / rr.reqPerSec : null;
  const pairs = (d?.runs ?? []).map((x) => {
    const y = rr?.runs.find((z) => z.round === x.round);
    return y?.reqPerSec ? { round: x.round, ratio: x.reqPerSec / y.reqPerSec } : null;
  });
  const paired = pairs.length > 0 && pairs.every(Boolean) ? pairs : null;
  const ratio = paired ? median(paired.map((x) => x.ratio)) : ofMedians;
  const why = d?.unavailable ?? d?.errors[0] ?? (rr?.reqPerSec ? 'no drover result' : 'no Node cluster RR result');
  return { d, rr, ratio, ofMedians, paired, why };
}

function measuredText({ d, rr, ratio, ofMedians, paired }) {
  if (ratio === null) return '—';
  const medians = `medians ${num(d.reqPerSec)} ÷ ${num(rr.reqPerSec)} = ${num(ofMedians, 3)}`;
  return paired ? `paired per round ${paired.map((x) => num(x.ratio, 3)).join(', ')}: median ${num(ratio, 3)}; ${medians}` : medians;
}

export default {
  id: 'throughput',
  order: 10,
  title: 'A. Throughput (keep-alive, 50 connections)',

  params({ quick }) {
    // A measured run during which other processes used more than `maxOtherCpu`
    // cores is repeated (at most `retries` times); the quietest attempt is kept.
    return quick
      ? { duration: 3, warmup: 1, rounds: 2, connections: 50, maxOtherCpu: 0.3, retries: 0 }
      : { duration: 10, warmup: 1, rounds: 3, connections: 50, maxOtherCpu: 0.3, retries: 2 };
  },

  async run(ctx) {
    const p = this.params(ctx);
    const byId = new Map(ctx.subjects.map((s) => [s.id, { subject: s, runs: [], errors: [], stops: [] }]));
    for (let round = 0; round < p.rounds; round++) {
      // Forward, then backward: neighbours stay neighbours (a rotation splits a pair at the wrap).
      const order = round % 2 === 0 ? ctx.subjects : [...ctx.subjects].reverse();
      for (const s of order) {
        const rec = byId.get(s.id);
        if (s.unavailable) continue;
        const port = await freePort();
        let running;
        try {
          running = await s.start({ port });
        } catch (err) {
          rec.errors.push(`round ${round + 1}: ${err.message}`);
          ctx.log(`  ${s.label}: ${err.message}`);
          continue;
        }
        try {
          await runLoad({ url: running.url, duration: p.warmup, connections: p.connections });
          let best = null;
          for (let attempt = 1; attempt <= 1 + p.retries; attempt++) {
            const cpu0 = cpuSnapshot();
            const r = await runLoad({ url: running.url, duration: p.duration, connections: p.connections });
            const run = { round: round + 1, ...r, otherCpu: otherCpu(cpu0, cpuSnapshot()), attempts: attempt };
            ctx.log(`  round ${round + 1} ${s.label}: ${num(r.reqPerSec)} req/s, p99 ${r.p99} ms, failed ${r.failed}, other CPU ${num(run.otherCpu, 2)}`);
            if (!best || run.otherCpu < best.otherCpu) best = { ...run, attempts: attempt };
            else best.attempts = attempt;
            if (run.otherCpu <= p.maxOtherCpu) break;
          }
          rec.runs.push(best);
        } catch (err) {
          rec.errors.push(`round ${round + 1}: ${err.message}`);
          ctx.log(`  ${s.label}: ${err.message}`);
        } finally {
          rec.stops.push(await running.stop());
        }
      }
    }
    const rows = [...byId.values()].map((r) => ({
      id: r.subject.id,
      label: r.subject.label,
      unavailable: r.subject.unavailable,
      runs: r.runs,
      errors: r.errors,
      uncleanStops: r.stops.filter((s) => !s.clean),
      reqPerSec: median(r.runs.map((x) => x.reqPerSec)),
      p99: median(r.runs.map((x) => x.p99)),
      failed: r.runs.reduce((a, x) => a + x.failed, 0),
    }));
    return { params: p, rows };
  },

  render(data) {
    const { params: p, rows } = data;
    const t = throughputRatio(rows);
    const { rr } = t;
    const out = [];
    out.push(`Load: ${describeLoad(p)}; a ${p.warmup} s warm-up run precedes each measured run (not counted).`);
    if (p.retries) {
      out.push(
        `A measured run during which other processes on the machine used more than ${p.maxOtherCpu} cores is repeated, at most ${p.retries} times, and the attempt with the least outside CPU is kept ("attempts" column).`,
      );
    }
    out.push(
      `Each subject is started fresh for each run, the ${p.rounds} rounds run the subjects interleaved (in one order, reversed every other round, so drover and Node cluster RR always run back to back), and the table shows the median over the rounds of autocannon's average req/s and of its p99 latency. The target's verdict is the median of the per-round ratios drover ÷ Node cluster RR (paired: measured one after the other, where the machine's drift over the minutes of a run does not reach), with the ratio of the medians beside it, as in the other scenarios.`,
    );
    out.push('');
    out.push(
      table(
        ['Subject', 'req/s (median)', 'p99 ms (median)', 'runs', 'failed requests (all runs)', 'vs Node cluster RR'],
        rows.map((r) => [
          r.label,
          num(r.reqPerSec),
          num(r.p99),
          r.unavailable ? `not run: ${r.unavailable}` : `${r.runs.length}/${p.rounds}`,
          r.runs.length ? num(r.failed) : '—',
          r.reqPerSec && rr?.reqPerSec ? num(r.reqPerSec / rr.reqPerSec, 3) : '—',
        ]),
        ['l', 'r', 'r', 'r', 'r', 'r'],
      ),
    );
    out.push('');
    out.push('Every run:');
    out.push('');
    out.push(
      table(
        ['Round', 'Subject', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'non-2xx', 'CPU used by other processes (cores)', 'attempts'],
        rows
          .flatMap((r) => r.runs.map((x) => ({ ...x, label: r.label })))
          .sort((a, b) => a.round - b.round)
          .map((x) => [x.round, x.label, num(x.reqPerSec), num(x.p50), num(x.p99), x.errors, x.non2xx, num(x.otherCpu, 2), x.attempts]),
        ['r', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
      ),
    );
    const busy = Math.max(0, ...rows.flatMap((r) => r.runs.map((x) => x.otherCpu ?? 0)));
    out.push('');
    out.push(
      busy > 0.2
        ? `**Caution:** other processes (not started by this run) used up to ${num(busy, 2)} of the machine's cores during some runs (last column: machine busy time from \`/proc/stat\` minus this run's processes); those runs are slowed and the ratios are less reliable. Re-run on a quiet machine for numbers to quote.`
        : `Other processes used at most ${num(busy, 2)} cores during the runs (machine busy time from \`/proc/stat\` minus this run's processes).`,
    );
    const problems = rows.flatMap((r) => [
      ...r.errors.map((e) => `${r.label}: ${e}`),
      ...r.uncleanStops.map((s) => `${r.label}: unclean stop ${JSON.stringify(s)}`),
    ]);
    if (problems.length) {
      out.push('');
      out.push('Problems:');
      out.push('');
      for (const x of problems) out.push(`- ${x}`);
    }
    out.push('');
    out.push('| Target | Measured | Result |');
    out.push('| --- | --- | --- |');
    out.push(`| drover req/s ÷ Node cluster RR req/s ≥ ${TARGET_RATIO} (median of the paired per-round ratios) | ${measuredText(t)} | ${verdict(t.ratio === null ? null : t.ratio >= TARGET_RATIO, t.why)} |`);
    return out.join('\n');
  },

  targets(data) {
    const t = throughputRatio(data.rows);
    return [
      {
        name: `throughput ratio drover / Node cluster RR ≥ ${TARGET_RATIO} (median of paired per-round ratios)`,
        ok: t.ratio === null ? null : t.ratio >= TARGET_RATIO,
        value: t.ratio === null ? '—' : `${num(t.ratio, 3)} (ratio of the medians: ${num(t.ofMedians, 3)})`,
        why: t.why,
      },
    ];
  },
};
