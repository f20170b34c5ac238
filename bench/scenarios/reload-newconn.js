// C2. Rolling reloads with a new connection per request (issue 15), in every
// balancing mode: `loops` client loops each send one request at a time with
// `agent: false` (a TCP connection per request, as many HTTP/1.0 clients,
// health checkers and proxies without pooling do) while the 2-worker
// examples/hello.js is reloaded `reloads` times back to back (SIGHUP, each
// reload awaited, then `gapMs` of traffic). Every failed request is an
// accepted connection that died during a hand-over: keep-alive load (scenario
// C) cannot show these, since its connections are open before the reload.
import { closedLoop } from '../lib/paced.js';
import { freePort } from '../lib/ports.js';
import { num, table, verdict } from '../lib/report.js';
import { ensureNode24 } from '../lib/node24.js';
import { droverSubject } from '../lib/subjects.js';
import { median, sleep } from '../lib/time.js';
import { droverReload } from './reload.js';

const MODES = ['round-robin', 'least-connections', 'least-loaded', 'sticky', 'weighted', 'kernel', 'reuseport'];

async function runOne(subject, p, ctx) {
  const running = await subject.start({ port: await freePort() });
  const load = closedLoop({ url: running.url, loops: p.loops, closeEach: true });
  const reloads = [];
  const t0 = Date.now();
  let stop;
  try {
    await sleep(p.gapMs);
    for (let n = 1; n <= p.reloads; n++) {
      const at = Date.now();
      const r = await droverReload(running);
      reloads.push({ n, at, ...r });
      if (!r.ok) ctx.log(`  ${subject.label}: reload #${n} FAILED ${r.detail}`);
      await sleep(p.gapMs);
    }
  } finally {
    await load.stop();
    stop = await running.stop();
  }
  const seconds = (Date.now() - t0) / 1000;
  const kinds = {};
  for (const f of load.stats.failures) kinds[f.kind] = (kinds[f.kind] ?? 0) + 1;
  return { ok: load.stats.ok, failed: load.stats.failures.length, kinds, reqPerSec: load.stats.ok / seconds, reloads, stop };
}

export default {
  id: 'reload-newconn',
  order: 31,
  title: 'C2. Rolling reloads with a new connection per request, every balancing mode',

  params({ quick }) {
    return quick ? { reloads: 10, loops: 20, gapMs: 300 } : { reloads: 20, loops: 20, gapMs: 500 };
  },

  async run(ctx) {
    const p = this.params(ctx);
    const avail = Object.fromEntries(ctx.subjects.map((s) => [s.id, s.unavailable]));
    const rows = [];
    for (const mode of MODES) {
      let subject;
      let unavailable = avail.drover;
      if (mode === 'reuseport') {
        const n24 = await ensureNode24(ctx.log);
        unavailable ??= n24.unavailable;
        subject = droverSubject({ id: 'drover-reuseport', label: 'drover --balance reuseport (Node 24)', extra: ['--balance', mode], node: n24.path, nodeName: 'node24' });
      } else {
        subject = droverSubject({ id: `drover-${mode}`, label: `drover --balance ${mode}`, extra: ['--balance', mode] });
      }
      const row = { mode, label: subject.label, command: subject.command, unavailable };
      rows.push(row);
      if (unavailable) continue;
      try {
        Object.assign(row, await runOne(subject, p, ctx));
        const ok = row.reloads.filter((r) => r.ok);
        row.reloadsOk = ok.length;
        row.wallMedian = median(ok.map((r) => r.wallMs));
        ctx.log(`  ${subject.label}: ${row.failed} failed of ${row.ok + row.failed} (${JSON.stringify(row.kinds)}), ${row.reloadsOk}/${row.reloads.length} reloads ok, median ${row.wallMedian} ms`);
      } catch (err) {
        row.error = err.message;
        ctx.log(`  ${subject.label}: ${err.message}`);
      }
    }
    return { params: p, rows };
  },

  targets(data) {
    return data.rows.map((r) => {
      const why = r.unavailable ?? r.error ?? (r.reloads ? null : 'no result');
      return {
        name: `reload with a new connection per request, --balance ${r.mode}: 0 failed requests over ${data.params.reloads} reloads`,
        ok: why ? null : r.failed === 0 && r.reloadsOk === r.reloads.length,
        value: why ? '—' : `${r.failed} failed of ${num(r.ok + r.failed)} over ${r.reloadsOk}/${r.reloads.length} reloads`,
        why,
      };
    });
  },

  render(data) {
    const { params: p, rows } = data;
    const out = [];
    out.push(
      `Load: ${p.loops} client loops in the harness, each sending one GET at a time on a new connection (\`http.get\` with \`agent: false\`), against \`examples/hello.js\` with 2 workers. ${p.reloads} reloads back to back (SIGHUP to the master, each awaited until its \`reloaded\` line), with ${p.gapMs} ms of traffic before the first, between reloads and after the last. Failed = connection errors (ECONNRESET, …), timeouts (10 s) and non-200 responses.`,
    );
    out.push('');
    out.push(
      table(
        ['Subject', 'reloads ok', 'requests', 'failed', 'failure kinds', 'req/s', 'reload wall ms (median)'],
        rows.map((r) =>
          r.unavailable || r.error
            ? [r.label, '—', '—', '—', `not measured: ${r.unavailable ?? r.error}`, '—', '—']
            : [r.label, `${r.reloadsOk}/${r.reloads.length}`, num(r.ok + r.failed), num(r.failed), Object.entries(r.kinds).map(([k, n]) => `${k}×${n}`).join(', ') || '—', num(r.reqPerSec), num(r.wallMedian)],
        ),
        ['l', 'r', 'r', 'r', 'l', 'r', 'r'],
      ),
    );
    const unclean = rows.filter((r) => r.stop && !r.stop.clean);
    if (unclean.length) out.push('', ...unclean.map((r) => `- ${r.label}: unclean stop ${JSON.stringify(r.stop)}.`));
    out.push('');
    out.push('| Target | Measured | Result |');
    out.push('| --- | --- | --- |');
    for (const t of this.targets(data)) out.push(`| ${t.name} | ${t.value} | ${verdict(t.ok, t.why)} |`);
    return out.join('\n');
  },
};
