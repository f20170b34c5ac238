// D. Hot spares (issue 3): time from a worker's SIGKILL to full capacity (2
// ready workers in the balancer), drover with `--spares 1` (a spare is promoted)
// beside drover without spares (a new worker boots), under keep-alive load.
import { describeLoad } from '../lib/load.js';
import { freePort } from '../lib/ports.js';
import { code, num, table, verdict } from '../lib/report.js';
import { droverSubject, WORKERS } from '../lib/subjects.js';
import { median, pollUntil, sleep } from '../lib/time.js';
import { underLoad } from '../lib/under-load.js';

const APP = 'bench/apps/mixed.js';
const WAIT_MS = 10000;
// --max-restarts: the kills are deliberate; drover's default (10 in 60 s) would give up.
const COMMON = ['--max-restarts', '1000'];
const VARIANTS = [
  { id: 'spare', label: 'drover --spares 1', extra: ['--spares', '1', ...COMMON], spares: 1 },
  { id: 'none', label: 'drover (no spare)', extra: COMMON, spares: 0 },
];

/**
 * Roles from drover's JSON lines. drover does not log a worker's role, so it is
 * inferred: a forked worker is active while fewer than WORKERS actives are alive,
 * else a spare; `promote` makes a spare active; `exit` removes a worker.
 */
class RoleBook {
  constructor() {
    this.byWid = new Map(); // wid -> { wid, pid, role, ready, readyAt }
    this.events = []; // { obj, at }
  }

  feed(obj, at) {
    this.events.push({ obj, at });
    const wid = obj.wid;
    if (wid == null) return;
    if (obj.event === 'fork') {
      const actives = [...this.byWid.values()].filter((w) => w.role === 'active').length;
      this.byWid.set(wid, { wid, pid: obj.pid, role: actives < WORKERS ? 'active' : 'spare', ready: false });
    } else if (obj.event === 'ready') {
      const w = this.byWid.get(wid);
      if (w) Object.assign(w, { ready: true, readyAt: obj.time, pid: obj.pid ?? w.pid });
    } else if (obj.event === 'promote') {
      const w = this.byWid.get(wid);
      if (w) w.role = 'active';
    } else if (obj.event === 'exit') {
      this.byWid.delete(wid);
    }
  }

  workers(role) {
    return [...this.byWid.values()].filter((w) => w.role === role);
  }

  full(spares) {
    return this.workers('active').filter((w) => w.ready).length >= WORKERS && this.workers('spare').filter((w) => w.ready).length >= spares;
  }

  /** The first line after index `from` matching `pred`. */
  find(from, pred) {
    for (let i = from; i < this.events.length; i++) if (pred(this.events[i].obj)) return this.events[i];
    return null;
  }
}

async function runVariant(v, p, ctx) {
  const subject = droverSubject({ id: `drover-${v.id}`, label: v.label, app: APP, extra: v.extra });
  const port = await freePort();
  const book = new RoleBook();
  // The subject's handle only exists once it is up: lines before that are replayed from master.json.
  const running = await subject.start({ port });
  const { master } = running;
  for (const obj of master.json) book.feed(obj, Number(obj.time));
  master.events.on('json', (obj, at) => book.feed(obj, at));
  await pollUntil(() => book.full(v.spares), { deadline: Date.now() + WAIT_MS, what: `${WORKERS} active + ${v.spares} spare workers ready` });

  const firstSeen = new Map(); // pid -> first response time
  const kills = [];
  const load = {
    duration: (p.kills + 1) * p.interval,
    connections: p.connections,
    onPid: (pid, at) => {
      if (!firstSeen.has(pid)) firstSeen.set(pid, at);
    },
  };
  const run = await underLoad(running, load, async ({ loadStart }) => {
    for (let k = 1; k <= p.kills; k++) {
      await sleep(loadStart + k * p.interval * 1000 - Date.now());
      try {
        await pollUntil(() => book.full(v.spares), { deadline: Date.now() + WAIT_MS, what: 'full capacity before the kill' });
      } catch (err) {
        kills.push({ n: k, error: err.message });
        continue;
      }
      // The oldest active worker.
      const victim = book.workers('active').sort((a, b) => a.readyAt - b.readyAt)[0];
      const from = book.events.length;
      const at = Date.now();
      try {
        process.kill(victim.pid, 'SIGKILL');
      } catch (err) {
        kills.push({ n: k, victim: victim.pid, error: `kill: ${err.code}` });
        continue;
      }
      const kill = { n: k, victim: victim.pid, at };
      kills.push(kill);
      try {
        await pollUntil(() => book.find(from, (o) => o.event === 'exit' && o.pid === victim.pid) && book.full(v.spares), {
          deadline: Date.now() + WAIT_MS,
          what: 'full capacity after the kill',
        });
      } catch (err) {
        kill.error = err.message;
      }
      const promote = book.find(from, (o) => o.event === 'promote');
      if (promote) {
        kill.newActive = promote.obj.pid;
        kill.capacityMs = promote.obj.time - at;
        kill.how = 'promote';
        const spareFork = book.find(from, (o) => o.event === 'fork');
        const spareReady = spareFork && book.find(from, (o) => o.event === 'ready' && o.wid === spareFork.obj.wid);
        if (spareReady) kill.spareBackMs = spareReady.obj.time - at;
      } else {
        const fork = book.find(from, (o) => o.event === 'fork');
        const ready = fork && book.find(from, (o) => o.event === 'ready' && o.wid === fork.obj.wid);
        if (ready) {
          kill.newActive = ready.obj.pid;
          kill.capacityMs = ready.obj.time - at;
          kill.how = 'new worker ready';
        }
      }
      ctx.log(`  ${v.label}: kill #${k} pid ${victim.pid} → ${kill.how ?? '?'} pid ${kill.newActive ?? '?'} after ${kill.capacityMs ?? '?'} ms${kill.spareBackMs != null ? `, new spare ready after ${kill.spareBackMs} ms` : ''}`);
    }
  });
  const { result, stop } = run;
  for (const k of kills) {
    const seen = k.newActive && firstSeen.get(k.newActive);
    if (seen) k.firstResponseMs = seen - k.at;
  }
  return { command: subject.command, kills, result, stop, otherCpu: run.otherCpu };
}

export default {
  id: 'spares',
  order: 40,
  title: 'D. Hot spares: SIGKILL to full capacity',

  params({ quick }) {
    return quick ? { kills: 3, interval: 2, connections: 50 } : { kills: 8, interval: 2, connections: 50 };
  },

  async run(ctx) {
    const p = this.params(ctx);
    const unavailable = ctx.subjects.find((s) => s.id === 'drover')?.unavailable;
    const rows = [];
    for (const v of VARIANTS) {
      const row = { id: v.id, label: v.label, unavailable };
      rows.push(row);
      if (unavailable) continue;
      try {
        Object.assign(row, await runVariant(v, p, ctx));
        const ok = row.kills.filter((k) => k.capacityMs != null);
        row.capacityMedian = median(ok.map((k) => k.capacityMs));
        row.firstResponseMedian = median(ok.map((k) => k.firstResponseMs));
        row.spareBackMedian = median(ok.map((k) => k.spareBackMs));
        ctx.log(`  ${v.label}: full capacity after ${row.capacityMedian} ms (median of ${ok.length})`);
      } catch (err) {
        row.error = err.message;
        ctx.log(`  ${v.label}: ${err.message}`);
      }
    }
    return { params: p, rows };
  },

  targets(data) {
    const s = data.rows.find((r) => r.id === 'spare');
    const n = data.rows.find((r) => r.id === 'none');
    const why = s?.unavailable ?? s?.error ?? n?.error ?? (s?.capacityMedian == null || n?.capacityMedian == null ? 'no kill measured' : null);
    return [
      {
        name: 'spares: SIGKILL → full capacity faster with a spare than with a new worker (medians; issue 3 asks to measure it, no number)',
        ok: why ? null : s.capacityMedian < n.capacityMedian,
        value: why ? '—' : `${num(s.capacityMedian)} ms with a spare vs ${num(n.capacityMedian)} ms without (${num(n.capacityMedian / Math.max(s.capacityMedian, 0.1), 0)}× faster)`,
        why,
      },
    ];
  },

  render(data) {
    const { params: p, rows } = data;
    const out = [];
    out.push(
      `App ${code(APP)} (hello; \`x-pid\` header), 2 workers, under load: ${describeLoad({ duration: (p.kills + 1) * p.interval, connections: p.connections })}. Every ${p.interval} s (once the app is back at full capacity) the oldest active worker gets \`SIGKILL\`; ${p.kills} kills per variant.`,
    );
    out.push(
      "Full capacity = 2 ready workers in the balancer. With a spare: the master's `promote` line (its `time` field minus the kill time, same clock). Without: the replacement's `ready` line. drover does not log roles, so they are inferred from the lines (a worker forked while fewer than 2 actives are alive is active, else a spare; `promote` makes a spare active). \"First response\" is when the load generator first got a response from the new active worker (keep-alive clients of the surviving worker stay where they are, so this depends on rebalancing too); \"spare back\" is when the new spare started behind a promotion is ready.",
    );
    out.push('');
    out.push(
      table(
        ['Variant', 'command', 'kills', 'full capacity ms (median)', 'first response from the new active worker ms (median)', 'new spare ready ms (median)', 'failed requests (all kills)', 'req/s', 'CPU used by other processes (cores)'],
        rows.map((r) =>
          r.unavailable || r.error
            ? [r.label, '—', '—', '—', '—', '—', '—', '—', `not measured: ${r.unavailable ?? r.error}`]
            : [
                r.label,
                code(r.command),
                r.kills.length,
                num(r.capacityMedian),
                num(r.firstResponseMedian),
                num(r.spareBackMedian),
                num(r.result.errors + r.result.non2xx + r.result.dropped),
                num(r.result.reqPerSec),
                num(r.otherCpu, 2),
              ],
        ),
        ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
      ),
    );
    out.push('');
    out.push('Every kill:');
    out.push('');
    out.push(
      table(
        ['Variant', '#', 'victim pid', 'new active pid', 'how', 'full capacity ms', 'first response ms', 'new spare ready ms', 'note'],
        rows.flatMap((r) =>
          (r.kills ?? []).map((k) => [r.label, k.n, k.victim ?? '—', k.newActive ?? '—', k.how ?? '—', num(k.capacityMs), num(k.firstResponseMs), num(k.spareBackMs), k.error ?? '']),
        ),
        ['l', 'r', 'r', 'r', 'l', 'r', 'r', 'r', 'l'],
      ),
    );
    const unclean = rows.filter((r) => r.stop && !r.stop.clean);
    if (unclean.length) {
      out.push('');
      for (const r of unclean) out.push(`- ${r.label}: unclean stop ${JSON.stringify(r.stop)}.`);
    }
    out.push('');
    out.push('| Target | Measured | Result |');
    out.push('| --- | --- | --- |');
    for (const t of this.targets(data)) out.push(`| ${t.name} | ${t.value} | ${verdict(t.ok, t.why)} |`);
    return out.join('\n');
  },
};
