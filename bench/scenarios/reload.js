// C. Rolling reload under load (issue 3): keep-alive load for `duration` s and a
// rolling reload of the 2-worker app every `interval` s, drover (SIGHUP to the
// master) beside PM2 (`pm2 reload <name>`), with two apps: one that drains on
// SIGTERM/SIGINT itself (bench/apps/graceful.js) and the plain examples/hello.js
// that handles no signal. Counts failed requests per reload and times each reload.
import { cpuSnapshot, otherCpu } from '../lib/cpu.js';
import { describeLoad, trackedLoad } from '../lib/load.js';
import { freePort } from '../lib/ports.js';
import { code, num, table, verdict } from '../lib/report.js';
import { ensureNode24 } from '../lib/node24.js';
import { droverSubject, pm2Subject } from '../lib/subjects.js';
import { median, sleep } from '../lib/time.js';

const APPS = [
  { id: 'graceful', path: 'bench/apps/graceful.js', what: 'drains on SIGTERM/SIGINT itself (`server.close()`, exit when closed)' },
  { id: 'hello', path: 'examples/hello.js', what: 'handles no signal' },
];
const RELOAD_TIMEOUT_MS = 20000;
const TIME_RATIO = 0.5;

/** drover: SIGHUP to the master, resolved by its `reloaded` / `reload-failed` / `reload-refused` line. */
export function droverReload(running) {
  const { master } = running;
  return new Promise((resolve) => {
    const t0 = Date.now();
    const onJson = (obj, at) => {
      if (!['reloaded', 'reload-failed', 'reload-refused'].includes(obj.event)) return;
      clearTimeout(timer);
      master.events.off('json', onJson);
      resolve({
        ok: obj.event === 'reloaded',
        wallMs: at - t0,
        eventMs: typeof obj.durationMs === 'number' ? obj.durationMs : null,
        workers: obj.workers,
        detail: obj.event === 'reloaded' ? null : `${obj.event}: ${obj.message ?? obj.err ?? obj.msg ?? ''}`,
      });
    };
    const timer = setTimeout(() => {
      master.events.off('json', onJson);
      resolve({ ok: false, wallMs: Date.now() - t0, detail: `no reloaded line within ${RELOAD_TIMEOUT_MS} ms` });
    }, RELOAD_TIMEOUT_MS);
    master.events.on('json', onJson);
    process.kill(master.pid, 'SIGHUP');
  });
}

/** PM2: `pm2 reload <name>` (a CLI process), timed from spawn to exit. */
async function pm2Reload(running) {
  const t0 = Date.now();
  const r = await running.cli(['reload', running.name], { timeoutMs: RELOAD_TIMEOUT_MS });
  const wallMs = Date.now() - t0;
  return { ok: r.code === 0, wallMs, eventMs: null, detail: r.code === 0 ? null : `pm2 reload exited ${r.code}: ${(r.stderr || r.stdout).trim().slice(-200)}` };
}

async function runOne(kind, subject, p, ctx) {
  const port = await freePort();
  const running = await subject.start({ port });
  const reloads = [];
  const load = trackedLoad({
    url: running.url,
    duration: p.duration,
    connections: p.connections,
  });
  const { failures, artifacts } = load;
  let loadStart = null;
  load.started.then((at) => (loadStart = at));
  const startedP = load.started;
  const loadP = load.done;
  let result;
  let stop;
  let other = null;
  let cliOverhead = null;
  const cpu0 = cpuSnapshot();
  try {
    await startedP;
    for (let k = 1; k * p.interval <= p.duration - p.tail; k++) {
      const due = loadStart + k * p.interval * 1000;
      const late = Date.now() - due;
      // A reload must end under load for its failures to be seen: none starts in the last `tail` s.
      if (Date.now() > loadStart + (p.duration - p.tail) * 1000) {
        ctx.log(`  ${subject.label}: reload #${k} not started (the previous one ran into the last ${p.tail} s of load)`);
        break;
      }
      await sleep(due - Date.now());
      const at = Date.now();
      const r = kind.startsWith('drover') ? await droverReload(running) : await pm2Reload(running);
      reloads.push({ n: k, at, offset: (at - loadStart) / 1000, late: late > 0 ? late : 0, ...r });
      ctx.log(`  ${subject.label}: reload #${k} ${r.ok ? 'ok' : 'FAILED'} in ${r.wallMs} ms${r.eventMs != null ? ` (event ${Math.round(r.eventMs)} ms)` : ''}${r.detail ? ` ${r.detail}` : ''}`);
    }
    result = await loadP;
    other = otherCpu(cpu0, cpuSnapshot());
    if (kind === 'pm2') {
      // What a pm2 CLI call costs by itself (spawn Node, load PM2, connect to the daemon, one RPC).
      const walls = [];
      for (let i = 0; i < 3; i++) {
        const t0 = Date.now();
        const r = await running.cli(['ping']);
        if (r.code === 0) walls.push(Date.now() - t0);
      }
      cliOverhead = median(walls);
    }
  } finally {
    await loadP.catch(() => {});
    stop = await running.stop();
  }
  let before = 0;
  for (const f of failures) {
    const r = reloads.filter((x) => x.at <= f.at).pop();
    if (r) {
      r.failed = (r.failed ?? 0) + 1;
      (r.kinds ??= {})[f.kind] = (r.kinds[f.kind] ?? 0) + 1;
    } else before++;
  }
  for (const a of artifacts) {
    const r = reloads.filter((x) => x.at <= a.at).pop();
    if (r) r.afterClose = (r.afterClose ?? 0) + 1;
  }
  for (const r of reloads) r.failed ??= 0;
  return { port, result, reloads, failuresBeforeFirstReload: before, stop, otherCpu: other, cliOverhead };
}

export default {
  id: 'reload',
  order: 30,
  title: 'C. Rolling reload under load (a reload every 2 s)',

  params({ quick }) {
    return quick ? { duration: 8, interval: 2, tail: 3, connections: 50 } : { duration: 20, interval: 2, tail: 3, connections: 50 };
  },

  async run(ctx) {
    const p = this.params(ctx);
    const avail = Object.fromEntries(ctx.subjects.map((s) => [s.id, s.unavailable]));
    const rows = [];
    for (const app of APPS) {
      const subjects = [
        { kind: 'drover', s: droverSubject({ app: app.path }), unavailable: avail.drover },
        { kind: 'pm2', s: pm2Subject({ app: app.path }), unavailable: avail.pm2 },
      ];
      if (app.id === 'hello') {
        // Kernel modes (issue 4): what a reload costs when workers accept themselves.
        subjects.push({ kind: 'drover-kernel', s: droverSubject({ id: 'drover-kernel', label: 'drover --balance kernel', app: app.path, extra: ['--balance', 'kernel'] }), unavailable: avail.drover });
        const n24 = await ensureNode24(ctx.log);
        subjects.push({
          kind: 'drover-reuseport',
          s: droverSubject({ id: 'drover-reuseport', label: 'drover --balance reuseport (Node 24)', app: app.path, extra: ['--balance', 'reuseport'], node: n24.path, nodeName: 'node24' }),
          unavailable: avail.drover ?? n24.unavailable,
        });
      }
      for (const { kind, s, unavailable } of subjects) {
        const row = { kind, label: s.label, app: app.id, command: s.command, unavailable };
        rows.push(row);
        if (unavailable) continue;
        try {
          Object.assign(row, await runOne(kind, s, p, ctx));
          const x = row.result;
          row.failed = x.errors + x.non2xx + x.dropped;
          const ok = row.reloads.filter((r) => r.ok);
          row.reloadsOk = ok.length;
          row.wallMedian = median(ok.map((r) => r.wallMs));
          row.eventMedian = median(ok.map((r) => r.eventMs));
          ctx.log(
            `  ${s.label} / ${app.id}: ${row.failed} failed (errors ${x.errors}, of which timeouts ${x.timeouts}; dropped ${x.dropped}), non-2xx ${x.non2xx}, ${x.afterClose} sent after Connection: close; ${ok.length}/${row.reloads.length} reloads ok, median ${row.wallMedian} ms`,
          );
        } catch (err) {
          row.error = err.message;
          ctx.log(`  ${s.label} / ${app.id}: ${err.message}`);
        }
      }
    }
    return { params: p, rows };
  },

  targets(data) {
    const out = [];
    const get = (kind, app) => data.rows.find((r) => r.kind === kind && r.app === app);
    for (const app of APPS) {
      const d = get('drover', app.id);
      const why = d?.unavailable ?? d?.error ?? (d?.result ? null : 'no drover result');
      const allOk = d?.reloads?.length > 0 && d.reloads.every((r) => r.ok);
      out.push({
        name: `reload (${app.id}: ${app.what}): drover 0 failed and 0 non-2xx requests over every reload`,
        ok: why ? null : d.failed === 0 && d.result.non2xx === 0 && allOk,
        value: why ? '—' : `${d.failed} failed, ${d.result.non2xx} non-2xx over ${d.reloads.length} reloads (${d.reloadsOk} completed)${d.result.afterClose ? `; ${d.result.afterClose} sent after Connection: close, not counted` : ''}`,
        why,
      });
    }
    for (const app of APPS) {
      const d = get('drover', app.id);
      const pm = get('pm2', app.id);
      const why = d?.unavailable ?? d?.error ?? pm?.unavailable ?? pm?.error ?? (d?.wallMedian == null ? 'no completed drover reload' : pm?.wallMedian == null ? 'no completed PM2 reload' : null);
      const ratio = why ? null : d.wallMedian / pm.wallMedian;
      out.push({
        name: `reload (${app.id}): time of one reload of 2 workers, drover ≤ ${TIME_RATIO}× PM2 (medians, wall time)`,
        ok: why ? null : ratio <= TIME_RATIO,
        value: why ? '—' : `${num(d.wallMedian)} ms ÷ ${num(pm.wallMedian)} ms = ${num(ratio, 2)}`,
        why,
      });
    }
    return out;
  },

  render(data) {
    const { params: p, rows } = data;
    const out = [];
    out.push(`Load: ${describeLoad(p)}.`);
    out.push(
      `Reloads: at ${Array.from({ length: Math.floor((p.duration - p.tail) / p.interval) }, (_, i) => `${(i + 1) * p.interval} s`).join(', ')} after the load starts (a reload that is due while the previous one still runs starts when it ends; none starts in the last ${p.tail} s, so that every reload ends under load), each replacing both workers. drover: \`SIGHUP\` to the master; the reload is over when the master logs \`reloaded\` (or \`reload-failed\`/\`reload-refused\`). PM2: ${code('pm2 reload <name>')} (the CLI, run to its exit).`,
    );
    out.push('');
    out.push('Apps (2 workers each):');
    out.push('');
    for (const a of APPS) out.push(`- ${code(a.path)} (${a.id}): ${a.what}.`);
    out.push('');
    out.push(
      "Failed requests = autocannon's errors (which include its timeouts) + **dropped** requests (sent and never answered: the server closed the connection without notice; found by watching every autocannon client, see crash scenario). Non-2xx responses are listed apart. Requests autocannon sent on a connection right after a response that said `Connection: close` (autocannon ignores the header; a compliant client opens a new connection instead) are not failures: they are shown as \"sent after Connection: close\", also when such a request crosses the server's close and meets a reset (ECONNRESET) instead of the FIN (autocannon counts that one as an error; bench/lib/load.js moves it). Each failure is attributed to the latest reload before it.",
    );
    out.push('');
    out.push(
      table(
        ['Subject', 'App', 'reloads ok', 'failed (total)', 'autocannon errors', 'of which timeouts', 'dropped', 'non-2xx', 'sent after Connection: close (not counted)', 'req/s', 'reload wall ms (median)', "reload ms by drover's `reloaded` event (median)", 'CPU used by other processes (cores)'],
        rows.map((r) =>
          r.unavailable || r.error
            ? [r.label, r.app, '—', '—', '—', '—', '—', '—', '—', '—', '—', '—', `not measured: ${r.unavailable ?? r.error}`]
            : [
                r.label,
                r.app,
                `${r.reloadsOk}/${r.reloads.length}`,
                num(r.failed),
                num(r.result.errors),
                num(r.result.timeouts),
                num(r.result.dropped),
                num(r.result.non2xx),
                num(r.result.afterClose),
                num(r.result.reqPerSec),
                num(r.wallMedian),
                num(r.eventMedian),
                num(r.otherCpu, 2),
              ],
        ),
        ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
      ),
    );
    const pmOverhead = rows.filter((r) => r.cliOverhead != null);
    if (pmOverhead.length) {
      out.push('');
      out.push(
        `The PM2 reload time includes the \`pm2\` CLI's own cost (start Node, load PM2, connect to the daemon): ${code('pm2 ping')} took ${pmOverhead.map((r) => `${num(r.cliOverhead)} ms (${r.app} run)`).join(', ')} (median of 3, measured after the load).`,
      );
    }
    const busy = Math.max(0, ...rows.map((r) => r.otherCpu ?? 0));
    if (busy > 0.2) {
      out.push('');
      out.push(`**Caution:** other processes (not started by this run) used up to ${num(busy, 2)} cores during some runs; reload times are slowed. Re-run on a quiet machine for numbers to quote.`);
    }
    out.push('');
    out.push('Every reload (time after load start):');
    out.push('');
    out.push(
      table(
        ['Subject', 'App', '#', 'at s', 'started late ms', 'result', 'wall ms', 'event ms', 'failed after it', 'failure kinds', 'sent after Connection: close'],
        rows.flatMap((r) =>
          (r.reloads ?? []).map((x) => [
            r.label,
            r.app,
            x.n,
            num(x.offset, 2),
            num(x.late),
            x.ok ? 'ok' : `failed: ${x.detail}`,
            num(x.wallMs),
            num(x.eventMs),
            x.failed,
            Object.entries(x.kinds ?? {})
              .map(([k, n]) => `${k}×${n}`)
              .join(', ') || '—',
            x.afterClose ?? 0,
          ]),
        ),
        ['l', 'l', 'r', 'r', 'r', 'l', 'r', 'r', 'r', 'l', 'r'],
      ),
    );
    const notes = [];
    for (const r of rows) {
      if (r.failuresBeforeFirstReload) notes.push(`${r.label} / ${r.app}: ${r.failuresBeforeFirstReload} failed requests before the first reload.`);
      if (r.result) {
        const x = r.result;
        const inflight = x.sent - x.completed - x.errors - x.dropped - x.afterClose;
        if (inflight < 0 || inflight > p.connections) notes.push(`${r.label} / ${r.app}: loss accounting off: sent ${x.sent}, answered ${x.completed}, errors ${x.errors}, dropped ${x.dropped}, after close ${x.afterClose} leave ${inflight} in flight (expected 0..${p.connections}).`);
      }
      if (r.stop && !r.stop.clean) notes.push(`${r.label} / ${r.app}: unclean stop ${JSON.stringify(r.stop)}.`);
    }
    if (notes.length) {
      out.push('');
      for (const n of notes) out.push(`- ${n}`);
    }
    out.push('');
    out.push('| Target | Measured | Result |');
    out.push('| --- | --- | --- |');
    for (const t of this.targets(data)) out.push(`| ${t.name} | ${t.value} | ${verdict(t.ok, t.why)} |`);
    return out.join('\n');
  },
};
