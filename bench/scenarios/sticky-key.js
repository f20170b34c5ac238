// Sticky key: the cost per connection of --sticky-key (the master reads each
// request head before the hand-off, finds the key, looks it up) against plain
// round-robin, with a new connection per request, the case where it is paid on
// every request. Both are drover on examples/hello.js with 2 workers; the
// requests carry one of 16 session cookies.
//
// Pairing: each round starts both subjects (fresh) and warms both; then they
// take the load in turn, in short bursts, round-robin/sticky then
// sticky/round-robin (ABBA), and the ratio is taken within each pair of
// bursts, two seconds apart. It used to be one 5 s run of each per round,
// subjects started one after the other: the machine's drift between those
// runs (other work, CPU frequency, the loopback's TIME_WAIT backlog from tens of
// thousands of closed connections) swung a round's ratio from 0.7 to 1.4, more
// than the cost measured, and three such ratios made the median. Pairs seconds
// apart weigh drift on both alike, and more of them make a steadier median.
// Both subjects get the same warm-up, bursts, load and clock; the per-round
// ratio (one per round, as before) is still shown beside it.
import { cpuSnapshot, otherCpu } from '../lib/cpu.js';
import { describeLoad, runLoad } from '../lib/load.js';
import { freePort } from '../lib/ports.js';
import { num, table, verdict } from '../lib/report.js';
import { droverSubject } from '../lib/subjects.js';
import { median } from '../lib/time.js';

/** sticky req/s ÷ round-robin req/s, within a round. */
const TARGET_RATIO = 0.8;
const KEYS = 16;

const SUBJECTS = [
  droverSubject({ id: 'rr', label: 'drover round-robin' }),
  droverSubject({ id: 'sticky', label: 'drover --sticky-key cookie:sid', extra: ['--sticky-key', 'cookie:sid'] }),
];

const requests = Array.from({ length: KEYS }, (_, k) => ({ method: 'GET', path: '/', headers: { connection: 'close', cookie: `theme=dark; sid=session-${k}` } }));

/** sticky ÷ round-robin req/s, and the extra wall time per request at saturation (1/sticky − 1/round-robin). */
const ratioOf = (sticky, rr) => ({ ratio: sticky / rr, extraUs: (1 / sticky - 1 / rr) * 1e6 });

export default {
  id: 'sticky-key',
  order: 75,
  title: 'Sticky key: cost per connection of --sticky-key vs round-robin (new connection per request)',

  params({ quick }) {
    return quick ? { burst: 1, pairs: 2, warmup: 1, rounds: 2, connections: 20 } : { burst: 2, pairs: 4, warmup: 1, rounds: 3, connections: 20 };
  },

  async run(ctx) {
    const p = this.params(ctx);
    const runs = [];
    const errors = [];
    for (const s of SUBJECTS) {
      const unavailable = s.available();
      if (unavailable) return { params: p, runs, errors: [`${s.label}: ${unavailable}`] };
    }
    for (let round = 1; round <= p.rounds; round++) {
      const running = {};
      try {
        for (const s of SUBJECTS) running[s.id] = await s.start({ port: await freePort() });
        for (const s of SUBJECTS) await runLoad({ url: running[s.id].url, duration: p.warmup, connections: p.connections, closeEach: true, requests });
        for (let pair = 1; pair <= p.pairs; pair++) {
          const order = (round + pair) % 2 ? [...SUBJECTS].reverse() : SUBJECTS;
          for (const s of order) {
            const cpu0 = cpuSnapshot();
            const r = await runLoad({ url: running[s.id].url, duration: p.burst, connections: p.connections, closeEach: true, requests });
            const run = { round, pair, id: s.id, label: s.label, reqPerSec: r.reqPerSec, p99: r.p99, failed: r.failed, otherCpu: otherCpu(cpu0, cpuSnapshot()) };
            ctx.log(`  round ${round} pair ${pair} ${s.label}: ${num(r.reqPerSec)} req/s, p99 ${r.p99} ms, failed ${r.failed}, other CPU ${num(run.otherCpu, 2)}`);
            runs.push(run);
          }
        }
      } catch (err) {
        errors.push(`round ${round}: ${err.message}`);
      } finally {
        await Promise.all(Object.values(running).map((r) => r.stop()));
      }
    }
    return { params: p, runs, errors };
  },

  /** Per pair of bursts: the ratio and the extra wall time per request at saturation (1/sticky - 1/rr). */
  pairs(data) {
    const out = [];
    for (const rr of data.runs.filter((r) => r.id === 'rr')) {
      const st = data.runs.find((r) => r.round === rr.round && r.pair === rr.pair && r.id === 'sticky');
      if (rr.reqPerSec && st?.reqPerSec) out.push({ round: rr.round, pair: rr.pair, ...ratioOf(st.reqPerSec, rr.reqPerSec) });
    }
    return out;
  },

  /** Per round (the old measure, one ratio per round): its bursts' mean req/s of each subject. */
  rounds(data) {
    const out = [];
    const mean = (runs) => runs.reduce((a, r) => a + r.reqPerSec, 0) / runs.length;
    for (const round of new Set(data.runs.map((r) => r.round))) {
      const rr = data.runs.filter((r) => r.round === round && r.id === 'rr');
      const st = data.runs.filter((r) => r.round === round && r.id === 'sticky');
      if (rr.length && st.length && mean(rr) && mean(st)) out.push({ round, ...ratioOf(mean(st), mean(rr)) });
    }
    return out;
  },

  render(data) {
    const p = data.params;
    const pairs = this.pairs(data);
    const rounds = this.rounds(data);
    const out = [];
    out.push(
      `Load: ${describeLoad({ duration: p.burst, connections: p.connections, closeEach: true })}, per burst; each request carries one of ${KEYS} \`sid\` cookies (each connection cycles through them). Each round starts both subjects, warms each for ${p.warmup} s, then runs ${p.pairs} pairs of bursts (round-robin/sticky, then sticky/round-robin, alternating); the ratio is taken within each pair.`,
    );
    out.push('');
    out.push(
      table(
        ['Round', 'Pair', 'Subject', 'req/s', 'p99 ms', 'failed', 'CPU used by other processes (cores)'],
        data.runs.map((r) => [r.round, r.pair, r.label, num(r.reqPerSec), num(r.p99), r.failed, num(r.otherCpu, 2)]),
        ['r', 'r', 'l', 'r', 'r', 'r', 'r'],
      ),
    );
    out.push('');
    out.push(
      `Within each pair, sticky ÷ round-robin req/s and the extra time per request at saturation (1/sticky − 1/round-robin): ${
        pairs.map((x) => `${x.round}.${x.pair}: ${num(x.ratio, 3)}, ${num(x.extraUs, 1)} µs`).join('; ') || '—'
      }.`,
    );
    out.push('');
    out.push(
      `The old measure, one ratio per round (its bursts' mean req/s), median ${rounds.length ? num(median(rounds.map((x) => x.ratio)), 3) : '—'}: ${
        rounds.map((x) => `round ${x.round}: ${num(x.ratio, 3)}`).join('; ') || '—'
      }.`,
    );
    if (data.errors.length) out.push('', 'Problems:', '', ...data.errors.map((e) => `- ${e}`));
    const [t] = this.targets(data);
    out.push('', '| Target | Measured | Result |', '| --- | --- | --- |', `| ${t.name} | ${t.value} | ${verdict(t.ok, t.why)} |`);
    return out.join('\n');
  },

  targets(data) {
    const pairs = this.pairs(data);
    const ratio = pairs.length ? median(pairs.map((x) => x.ratio)) : null;
    const extra = pairs.length ? median(pairs.map((x) => x.extraUs)) : null;
    const failed = data.runs.reduce((a, r) => a + r.failed, 0);
    return [
      {
        name: `--sticky-key req/s ÷ round-robin req/s ≥ ${TARGET_RATIO} (new connection per request, median of the ratios of paired bursts), no failed request`,
        ok: ratio === null ? null : ratio >= TARGET_RATIO && failed === 0,
        value: ratio === null ? '—' : `${num(ratio, 3)} (${num(extra, 1)} µs more per connection), ${failed} failed`,
        why: data.errors[0] ?? 'no result',
      },
    ];
  },
};
