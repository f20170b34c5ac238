// Sticky key: the cost per connection of --sticky-key (the master reads each
// request head before the hand-off, finds the key, looks it up) against plain
// round-robin, with a new connection per request, the case where it is paid on
// every request. Both are drover on examples/hello.js with 2 workers; the
// requests carry one of 16 session cookies. Rounds interleave the two (the
// order alternates), and the ratio is taken within each round.
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

export default {
  id: 'sticky-key',
  order: 75,
  title: 'Sticky key: cost per connection of --sticky-key vs round-robin (new connection per request)',

  params({ quick }) {
    return quick ? { duration: 2, warmup: 1, rounds: 2, connections: 20 } : { duration: 5, warmup: 1, rounds: 3, connections: 20 };
  },

  async run(ctx) {
    const p = this.params(ctx);
    const runs = [];
    const errors = [];
    for (let round = 1; round <= p.rounds; round++) {
      const order = round % 2 ? SUBJECTS : [...SUBJECTS].reverse();
      for (const s of order) {
        const unavailable = s.available();
        if (unavailable) {
          errors.push(`${s.label}: ${unavailable}`);
          continue;
        }
        let running;
        try {
          running = await s.start({ port: await freePort() });
        } catch (err) {
          errors.push(`round ${round} ${s.label}: ${err.message}`);
          continue;
        }
        try {
          await runLoad({ url: running.url, duration: p.warmup, connections: p.connections, closeEach: true, requests });
          const cpu0 = cpuSnapshot();
          const r = await runLoad({ url: running.url, duration: p.duration, connections: p.connections, closeEach: true, requests });
          const run = { round, id: s.id, label: s.label, reqPerSec: r.reqPerSec, p99: r.p99, failed: r.failed, otherCpu: otherCpu(cpu0, cpuSnapshot()) };
          ctx.log(`  round ${round} ${s.label}: ${num(r.reqPerSec)} req/s, p99 ${r.p99} ms, failed ${r.failed}, other CPU ${num(run.otherCpu, 2)}`);
          runs.push(run);
        } catch (err) {
          errors.push(`round ${round} ${s.label}: ${err.message}`);
        } finally {
          await running.stop();
        }
      }
    }
    return { params: p, runs, errors };
  },

  /** Per round: the ratio and the extra wall time per request at saturation (1/sticky - 1/rr). */
  rounds(data) {
    const out = [];
    for (const round of new Set(data.runs.map((r) => r.round))) {
      const rr = data.runs.find((r) => r.round === round && r.id === 'rr');
      const st = data.runs.find((r) => r.round === round && r.id === 'sticky');
      if (rr?.reqPerSec && st?.reqPerSec) out.push({ round, ratio: st.reqPerSec / rr.reqPerSec, extraUs: (1 / st.reqPerSec - 1 / rr.reqPerSec) * 1e6 });
    }
    return out;
  },

  render(data) {
    const p = data.params;
    const rounds = this.rounds(data);
    const out = [];
    out.push(`Load: ${describeLoad({ ...p, closeEach: true })}; each request carries one of ${KEYS} \`sid\` cookies (each connection cycles through them). A ${p.warmup} s warm-up precedes each measured run; the subjects alternate order each round.`);
    out.push('');
    out.push(
      table(
        ['Round', 'Subject', 'req/s', 'p99 ms', 'failed', 'CPU used by other processes (cores)'],
        data.runs.map((r) => [r.round, r.label, num(r.reqPerSec), num(r.p99), r.failed, num(r.otherCpu, 2)]),
        ['r', 'l', 'r', 'r', 'r', 'r'],
      ),
    );
    out.push('');
    out.push(
      `Within each round, sticky ÷ round-robin req/s and the extra time per request at saturation (1/sticky − 1/round-robin): ${
        rounds.map((x) => `round ${x.round}: ${num(x.ratio, 3)}, ${num(x.extraUs, 1)} µs`).join('; ') || '—'
      }.`,
    );
    if (data.errors.length) out.push('', 'Problems:', '', ...data.errors.map((e) => `- ${e}`));
    const [t] = this.targets(data);
    out.push('', '| Target | Measured | Result |', '| --- | --- | --- |', `| ${t.name} | ${t.value} | ${verdict(t.ok, t.why)} |`);
    return out.join('\n');
  },

  targets(data) {
    const rounds = this.rounds(data);
    const ratio = rounds.length ? median(rounds.map((x) => x.ratio)) : null;
    const extra = rounds.length ? median(rounds.map((x) => x.extraUs)) : null;
    const failed = data.runs.reduce((a, r) => a + r.failed, 0);
    return [
      {
        name: `--sticky-key req/s ÷ round-robin req/s ≥ ${TARGET_RATIO} (new connection per request, median of per-round ratios), no failed request`,
        ok: ratio === null ? null : ratio >= TARGET_RATIO && failed === 0,
        value: ratio === null ? '—' : `${num(ratio, 3)} (${num(extra, 1)} µs more per connection), ${failed} failed`,
        why: data.errors[0] ?? 'no result',
      },
    ];
  },
};
