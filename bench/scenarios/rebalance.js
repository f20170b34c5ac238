// F. Rebalancing keep-alive connections after a crash (issue 4): 2 workers, 50
// keep-alive connections; SIGKILL one worker; per 250 ms interval, the share of
// responses that came from the replacement (every response names its worker in
// an `x-pid` header). drover asks busy workers to close some keep-alive
// connections gracefully when a worker joins; Node cluster and PM2 do nothing.
import { describeLoad } from '../lib/load.js';
import { freePort } from '../lib/ports.js';
import { code, num, table, verdict } from '../lib/report.js';
import { droverSubject, nodeClusterSubject, pm2Subject } from '../lib/subjects.js';
import { sleep } from '../lib/time.js';
import { killWorker, underLoad } from '../lib/under-load.js';

const APP = 'bench/apps/mixed.js';
const BIN_MS = 50;
const STEP_MS = 250;
const WINDOW_MS = 2000;
const SHARE = 0.35;
const REPLACEMENT_TIMEOUT_MS = 10000;

const SUBJECTS = [
  { base: 'drover', s: droverSubject({ id: 'drover', label: 'drover (round-robin)', app: APP }) },
  { base: 'drover', s: droverSubject({ id: 'drover-lc', label: 'drover --balance least-connections', app: APP, extra: ['--balance', 'least-connections'] }) },
  { base: 'node-rr', s: nodeClusterSubject({ id: 'node-rr', label: 'Node cluster RR', sched: 'rr', app: APP }) },
  { base: 'pm2', s: pm2Subject({ id: 'pm2', label: 'PM2 (cluster mode)', app: APP }) },
];

async function runOne(s, p, ctx) {
  const port = await freePort();
  const running = await s.start({ port });
  const { tracker } = running;
  const bins = new Map(); // pid -> Int32Array of responses per BIN_MS since load start
  const nBins = Math.ceil((p.duration * 1000 + 2000) / BIN_MS);
  let loadStart = null;
  const kill = {};
  const onPid = (pid, at) => {
    if (loadStart === null) return;
    let b = bins.get(pid);
    if (!b) bins.set(pid, (b = new Int32Array(nBins)));
    const i = Math.floor((at - loadStart) / BIN_MS);
    if (i >= 0 && i < nBins) b[i]++;
  };
  const run = await underLoad(running, { duration: p.duration, connections: p.connections, onPid }, async (ctxLoad) => {
    loadStart = ctxLoad.loadStart;
    await sleep(loadStart + p.killAt * 1000 - Date.now());
    const live = tracker.pids();
    if (live.length < 2) throw new Error(`only ${live.length} live workers before the kill`);
    kill.victim = live[0];
    kill.survivor = live[1];
    const killed = killWorker(tracker, kill.victim, REPLACEMENT_TIMEOUT_MS);
    kill.at = killed.at;
    const up = await killed.up;
    if (up) {
      kill.replacement = up.pid;
      kill.readyAt = up.time;
      kill.readyMs = up.time - kill.at;
    }
  });
  const { result, stop, failures, artifacts } = run;
  const other = run.otherCpu;
  // Shares per STEP_MS interval, from the kill on.
  const at = (t) => Math.floor((t - loadStart) / BIN_MS); // bin index of an epoch time
  const count = (pid, from, to) => {
    const b = bins.get(pid);
    if (!b) return 0;
    let n = 0;
    for (let i = Math.max(0, at(from)); i < Math.min(b.length, at(to)); i++) n += b[i];
    return n;
  };
  const total = (from, to) => [...bins.keys()].reduce((a, pid) => a + count(pid, from, to), 0);
  const share = (from, to) => {
    const t = total(from, to);
    return kill.replacement && t ? count(kill.replacement, from, to) / t : kill.replacement ? null : 0;
  };
  const end = loadStart + result.duration * 1000;
  const steps = [];
  for (let t = kill.at - 2 * STEP_MS; t + STEP_MS <= end; t += STEP_MS) {
    steps.push({ sinceKill: (t - kill.at) / 1000, share: t >= kill.at ? share(t, t + STEP_MS) : null, total: total(t, t + STEP_MS) });
  }
  const evaluation = {};
  if (kill.readyAt) {
    const r = kill.readyAt;
    evaluation.atWindowEnd = share(r + WINDOW_MS - STEP_MS, r + WINDOW_MS);
    for (let t = r; t + STEP_MS <= end; t += BIN_MS) {
      if (share(t, t + STEP_MS) >= SHARE) {
        evaluation.reachedAfterMs = t + STEP_MS - r;
        break;
      }
    }
    evaluation.after = end > r + WINDOW_MS ? share(r + WINDOW_MS, end) : null;
  }
  // Failures: up to the replacement being ready, they come from the kill itself (the
  // victim's connections); after it, from the rebalancing.
  const split = { beforeKill: 0, killToReady: 0, afterReady: 0, kinds: {} };
  for (const f of failures) {
    if (f.at < kill.at) split.beforeKill++;
    else if (!kill.readyAt || f.at < kill.readyAt) split.killToReady++;
    else {
      split.afterReady++;
      split.kinds[f.kind] = (split.kinds[f.kind] ?? 0) + 1;
    }
  }
  const afterCloseAfterReady = artifacts.filter((a) => kill.readyAt && a.at >= kill.readyAt).length;
  return { port, result, kill, steps, evaluation, split, afterCloseAfterReady, stop, otherCpu: other, command: s.command };
}

export default {
  id: 'rebalance',
  order: 60,
  title: 'F. Rebalancing keep-alive connections after a worker is replaced',

  params({ quick }) {
    return quick ? { duration: 6, killAt: 1.5, connections: 50 } : { duration: 10, killAt: 2, connections: 50 };
  },

  async run(ctx) {
    const p = this.params(ctx);
    const avail = Object.fromEntries(ctx.subjects.map((s) => [s.id, s.unavailable]));
    const rows = [];
    for (const { base, s } of SUBJECTS) {
      const row = { id: s.id, label: s.label, unavailable: avail[base] };
      rows.push(row);
      if (row.unavailable) continue;
      try {
        Object.assign(row, await runOne(s, p, ctx));
        const e = row.evaluation;
        ctx.log(
          `  ${s.label}: replacement ready ${row.kill.readyMs} ms after the kill; share ${num(100 * (e.atWindowEnd ?? NaN))}% at ready+2 s, ≥${SHARE * 100}% after ${e.reachedAfterMs ?? '—'} ms, ${num(100 * (e.after ?? NaN))}% later; failed ${row.split.killToReady} kill→ready, ${row.split.afterReady} after ready; ${row.afterCloseAfterReady} sent after Connection: close`,
        );
      } catch (err) {
        row.error = err.message;
        ctx.log(`  ${s.label}: ${err.message}`);
      }
    }
    return { params: p, rows };
  },

  targets(data) {
    const out = [];
    for (const id of ['drover', 'drover-lc']) {
      const d = data.rows.find((r) => r.id === id);
      if (!d) continue;
      const why = d.unavailable ?? d.error ?? (d.kill?.readyAt ? null : 'no replacement seen');
      const e = d.evaluation ?? {};
      out.push({
        name: `rebalance (${d.label}): the replacement serves ≥ ${SHARE * 100}% of requests within ${WINDOW_MS / 1000} s after it is ready (first 250 ms interval at ≥ ${SHARE * 100}% ends by ready + ${WINDOW_MS / 1000} s, and the share from then to the end of the run is ≥ ${SHARE * 100}%)`,
        ok: why ? null : e.reachedAfterMs != null && e.reachedAfterMs <= WINDOW_MS && (e.after ?? 0) >= SHARE,
        value: why
          ? '—'
          : `≥ ${SHARE * 100}% first after ${e.reachedAfterMs == null ? 'never' : `${num(e.reachedAfterMs)} ms`}; ${num(100 * (e.after ?? NaN), 1)}% from ready + ${WINDOW_MS / 1000} s to the end (${num(100 * (e.atWindowEnd ?? NaN), 1)}% in the 250 ms ending at ready + ${WINDOW_MS / 1000} s)`,
        why,
      });
      out.push({
        name: `rebalance (${d.label}): 0 failed requests caused by the rebalancing (after the replacement is ready)`,
        ok: why ? null : d.split.afterReady === 0 && d.result.non2xx === 0,
        value: why ? '—' : `${d.split.afterReady} failed after ready (${d.split.killToReady} between kill and ready, from the kill itself); ${d.result.non2xx} non-2xx; ${d.afterCloseAfterReady} sent after Connection: close (not counted)`,
        why,
      });
    }
    return out;
  },

  render(data) {
    const { params: p, rows } = data;
    const out = [];
    out.push(
      `App ${code(APP)} (hello; every response carries \`x-pid\`, counted per worker by a \`setupClient\` hook), 2 workers. Load: ${describeLoad(p)}. At ${p.killAt} s the older worker gets \`SIGKILL\`. Replacement ready: drover's and Node cluster's \`listening\` line (master's clock); PM2: \`online\` seen by polling its process list every 20 ms.`,
    );
    out.push(
      `Share = responses from the replacement ÷ all responses in the interval (from ${BIN_MS} ms bins by arrival time at the load generator). Target check: the first 250 ms interval (sliding in 50 ms steps from the moment the replacement is ready) in which the replacement served ≥ ${SHARE * 100}% must end within ${WINDOW_MS / 1000} s of that moment, and its share from ready + ${WINDOW_MS / 1000} s to the end of the run must stay ≥ ${SHARE * 100}%. Failed requests (errors + non-2xx + dropped, as in the crash scenario) are split at the moment the replacement is ready: before it they come from the kill (the victim's connections), after it from the rebalancing. Requests autocannon sends on a connection after a \`Connection: close\` response (drover's rebalancing answers some responses that way; autocannon ignores the header) are not counted as failed.`,
    );
    out.push('');
    out.push(
      table(
        ['Subject', 'replacement ready after kill ms', `share at ready + ${WINDOW_MS / 1000} s`, `≥ ${SHARE * 100}% first after (ms since ready)`, `share from ready + ${WINDOW_MS / 1000} s to the end`, 'failed: kill → ready', 'failed: after ready', 'non-2xx', 'sent after Connection: close after ready (not counted)', 'req/s', 'CPU used by other processes (cores)'],
        rows.map((r) =>
          r.unavailable || r.error
            ? [r.label, '—', '—', '—', '—', '—', '—', '—', '—', '—', `not measured: ${r.unavailable ?? r.error}`]
            : [
                r.label,
                num(r.kill.readyMs),
                `${num(100 * (r.evaluation.atWindowEnd ?? NaN), 1)}%`,
                r.evaluation.reachedAfterMs == null ? 'never' : num(r.evaluation.reachedAfterMs),
                `${num(100 * (r.evaluation.after ?? NaN), 1)}%`,
                num(r.split.killToReady),
                num(r.split.afterReady) + (Object.keys(r.split.kinds).length ? ` (${Object.entries(r.split.kinds).map(([k, n]) => `${k}×${n}`).join(', ')})` : ''),
                num(r.result.non2xx),
                num(r.afterCloseAfterReady),
                num(r.result.reqPerSec),
                num(r.otherCpu, 2),
              ],
        ),
        ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
      ),
    );
    const measured = rows.filter((r) => r.steps);
    if (measured.length) {
      out.push('');
      out.push(`Share of the replacement per ${STEP_MS} ms interval (s since the kill; an interval that starts before the replacement is ready shows 0%):`);
      out.push('');
      const len = Math.max(...measured.map((r) => r.steps.length));
      const lines = [];
      for (let i = 0; i < len; i++) {
        const ref = measured.find((r) => r.steps[i])?.steps[i];
        if (!ref || ref.sinceKill < 0) continue;
        lines.push([
          num(ref.sinceKill, 2),
          ...measured.map((r) => {
            const st = r.steps[i];
            if (!st || st.share == null) return '—';
            const mark = r.kill.readyAt && ref.sinceKill * 1000 <= r.kill.readyMs && r.kill.readyMs < ref.sinceKill * 1000 + STEP_MS ? ' (ready)' : '';
            return `${num(100 * st.share)}%${mark}`;
          }),
        ]);
      }
      out.push(table(['s since kill', ...measured.map((r) => r.label)], lines, ['r', ...measured.map(() => 'r')]));
    }
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
