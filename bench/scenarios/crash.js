// B. Crash under load: keep-alive load for `duration` s; every `interval` s
// SIGKILL one worker (the oldest live one, so the kills alternate between the
// slots). For each kill: the victim's ESTABLISHED connections on the app port at
// the kill moment, the failed requests that followed (until the next kill) and
// the time from the kill to the replacement worker being up.
import { describeLoad } from '../lib/load.js';
import { freePort } from '../lib/ports.js';
import { num, table, verdict } from '../lib/report.js';
import { countEstablished } from '../lib/sockets.js';
import { median, sleep, sum } from '../lib/time.js';
import { killWorker, underLoad } from '../lib/under-load.js';

const REPLACEMENT_TIMEOUT_MS = 10000;

async function runOne(s, p, ctx) {
  const port = await freePort();
  const running = await s.start({ port });
  const { tracker } = running;
  const kills = [];
  const { result, stop, otherCpu, failures, artifacts } = await underLoad(running, { duration: p.duration, connections: p.connections }, async ({ loadStart, settle }) => {
    for (let k = 1; k * p.interval < p.duration; k++) {
      await sleep(loadStart + k * p.interval * 1000 - Date.now());
      const live = tracker.pids();
      if (live.length === 0) {
        kills.push({ n: k, error: 'no live worker to kill' });
        continue;
      }
      // The oldest live worker: with 2 workers the kills alternate between the slots.
      const victim = live[0];
      const conns = countEstablished(victim, port);
      let killed;
      try {
        killed = killWorker(tracker, victim, REPLACEMENT_TIMEOUT_MS);
      } catch (err) {
        kills.push({ n: k, victim, error: `kill: ${err.code}` });
        continue;
      }
      const { at } = killed;
      const kill = { n: k, victim, conns, at, offset: (at - loadStart) / 1000 };
      kills.push(kill);
      settle(
        killed.up.then((up) => {
          if (!up) return;
          kill.replacement = up.pid;
          kill.upMs = up.time - at;
          kill.seenMs = up.seenAt - at;
        }),
      );
      ctx.log(`  ${s.label}: kill #${k} pid ${victim} holding ${conns} connections`);
    }
  });
  // Attribute each failure to the last kill before it.
  const valid = kills.filter((k) => k.at);
  let before = 0;
  for (const f of failures) {
    const k = valid.filter((x) => x.at <= f.at).pop();
    if (k) {
      k.failed = (k.failed ?? 0) + 1;
      (k.kinds ??= {})[f.kind] = (k.kinds[f.kind] ?? 0) + 1;
    } else before++;
  }
  for (const k of valid) k.failed ??= 0;
  for (const a of artifacts) {
    const k = valid.filter((x) => x.at <= a.at).pop();
    if (k) k.afterClose = (k.afterClose ?? 0) + 1;
  }
  return { port, result, kills, failuresBeforeFirstKill: before, stop, startupMs: running.startupMs, otherCpu };
}

export default {
  id: 'crash',
  order: 20,
  title: 'B. Crash under load (SIGKILL a worker every 4 s)',

  params({ quick }) {
    return quick ? { duration: 10, interval: 4, connections: 50 } : { duration: 24, interval: 4, connections: 50 };
  },

  async run(ctx) {
    const p = this.params(ctx);
    const rows = [];
    for (const s of ctx.subjects) {
      const row = { id: s.id, label: s.label, method: s.replacementMethod, upEvent: s.upEvent, unavailable: s.unavailable };
      rows.push(row);
      if (s.unavailable) continue;
      try {
        Object.assign(row, await runOne(s, p, ctx));
        const killed = row.kills.filter((k) => k.at);
        row.killCount = killed.length;
        row.failed = row.result.failed + row.result.dropped;
        row.failedPerKill = killed.length ? row.failed / killed.length : null;
        row.connsPerKill = killed.length ? sum(killed.map((k) => k.conns)) / killed.length : null;
        row.upMedian = median(killed.map((k) => k.upMs));
        ctx.log(
          `  ${s.label}: ${row.failed} failed (autocannon ${row.result.failed} + dropped ${row.result.dropped}; ${row.result.afterClose} sent after Connection: close) over ${killed.length} kills, victim conns ${killed.map((k) => k.conns).join('/')}, replacement ${killed.map((k) => k.upMs).join('/')} ms`,
        );
      } catch (err) {
        row.error = err.message;
        ctx.log(`  ${s.label}: ${err.message}`);
      }
    }
    return { params: p, rows };
  },

  evaluate(data) {
    const d = data.rows.find((r) => r.id === 'drover');
    const rr = data.rows.find((r) => r.id === 'node-rr');
    const why = d?.unavailable ?? d?.error ?? (d ? null : 'no drover result');
    const killed = d?.kills?.filter((k) => k.at) ?? [];
    let perKill = null;
    let perKillText = '—';
    if (!why && killed.length) {
      perKill = killed.every((k) => k.failed <= k.conns);
      perKillText = killed.map((k) => `#${k.n}: ${k.failed} ≤ ${k.conns}? ${k.failed <= k.conns ? 'yes' : 'no'}`).join('; ');
    }
    let listen = null;
    let listenText = '—';
    const rrWhy = rr?.error ?? (rr?.upMedian == null ? 'no Node cluster RR result' : null);
    const missing = killed.filter((k) => k.upMs == null).map((k) => `#${k.n}`);
    if (!why && missing.length) {
      listen = false;
      listenText = `no replacement came up within ${REPLACEMENT_TIMEOUT_MS / 1000} s after kill ${missing.join(', ')}`;
    } else if (!why && !rrWhy && d.upMedian != null) {
      listen = d.upMedian <= rr.upMedian;
      listenText = `${num(d.upMedian)} ms vs ${num(rr.upMedian)} ms (medians of ${killed.length} and ${rr.kills.filter((k) => k.at).length} kills)`;
    }
    return [
      { name: "drover: failed requests per kill ≤ the victim's connections at that kill (every kill)", ok: perKill, value: perKillText, why: why ?? 'no kill' },
      { name: "drover: replacement listening no later than Node cluster RR's (medians of ≥ 5 kills each in a full run)", ok: listen, value: listenText, why: why ?? rrWhy ?? 'no replacement seen' },
    ];
  },

  targets(data) {
    return this.evaluate(data);
  },

  render(data) {
    const { params: p, rows } = data;
    const out = [];
    out.push(`Load: ${describeLoad(p)}.`);
    out.push(
      `Kills: \`SIGKILL\` to one worker at ${Array.from({ length: Math.ceil(p.duration / p.interval) - 1 }, (_, i) => `${(i + 1) * p.interval} s`).join(', ')} after the load starts; the victim is the oldest live worker (so the kills alternate between the two slots). Worker pids come from the JSON lifecycle lines (drover, Node cluster) or PM2's process list (PM2).`,
    );
    out.push(
      "Victim connections: sockets in `/proc/<victim>/fd` matched against `/proc/net/tcp` + `tcp6` entries with the app's local port in state 01 (ESTABLISHED), read just before the kill.",
    );
    out.push(
      "Failed requests = autocannon's errors (which include its timeouts) + non-2xx responses + **dropped** requests. autocannon counts nothing when a keep-alive socket is closed with a FIN while a request is in flight (it reconnects and goes on), so the harness watches every autocannon client (`setupClient` hook) and finds each request that was sent and got neither an answer nor an error. Such a request counts as *dropped* (failed) when the server closed the connection without notice; it does **not** count when the previous response on that connection said `Connection: close` (autocannon ignores that header and sends one more request on the closing connection, which no compliant HTTP client does): those are shown as \"sent after Connection: close\", a load-generator artifact. Per kill, each failure (stamped when the harness saw it) is attributed to the latest kill before it.",
    );
    out.push('');
    out.push(
      table(
        ['Subject', 'kills', 'failed (total)', 'autocannon errors', 'of which timeouts', 'non-2xx', 'dropped', 'failed / kill', 'victim conns / kill', 'replacement up, median ms', 'req/s', 'sent after Connection: close (not counted)', 'CPU used by other processes (cores, upper bound)'],
        rows.map((r) =>
          r.unavailable || r.error
            ? [r.label, '—', '—', '—', '—', '—', '—', '—', '—', '—', '—', '—', `not measured: ${r.unavailable ?? r.error}`]
            : [
                r.label,
                r.killCount,
                num(r.failed),
                num(r.result.errors),
                num(r.result.timeouts),
                num(r.result.non2xx),
                num(r.result.dropped),
                num(r.failedPerKill, 1),
                num(r.connsPerKill, 1),
                num(r.upMedian),
                num(r.result.reqPerSec),
                num(r.result.afterClose),
                num(r.otherCpu, 2),
              ],
        ),
        ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
      ),
    );
    const busy = Math.max(0, ...rows.map((r) => r.otherCpu ?? 0));
    if (busy > 0.2) {
      out.push('');
      out.push(
        `**Caution:** other processes (not started by this run) used up to ${num(busy, 2)} cores during some runs (an upper bound: CPU of killed workers counts as other); replacement times in particular are slowed. Re-run on a quiet machine for numbers to quote.`,
      );
    }
    out.push('');
    out.push('Replacement timing, by method:');
    out.push('');
    for (const r of rows) out.push(`- ${r.label}: ${r.method}.`);
    out.push('');
    out.push('Every kill (time after load start; "seen" = when the harness received the line, for reference):');
    out.push('');
    out.push(
      table(
        ['Subject', '#', 'at s', 'victim pid', 'victim conns', 'failed after it', 'failure kinds', 'sent after Connection: close', 'replacement pid', 'up after ms', 'seen after ms'],
        rows.flatMap((r) =>
          (r.kills ?? []).map((k) =>
            k.error
              ? [r.label, k.n, '—', k.victim ?? '—', '—', '—', k.error, '—', '—', '—', '—']
              : [
                  r.label,
                  k.n,
                  num(k.offset, 2),
                  k.victim,
                  k.conns,
                  k.failed,
                  Object.entries(k.kinds ?? {})
                    .map(([kind, n]) => `${kind}×${n}`)
                    .join(', ') || '—',
                  k.afterClose ?? 0,
                  k.replacement ?? `none within ${REPLACEMENT_TIMEOUT_MS / 1000} s`,
                  num(k.upMs),
                  num(k.seenMs),
                ],
          ),
        ),
        ['l', 'r', 'r', 'r', 'r', 'r', 'l', 'r', 'r', 'r', 'r'],
      ),
    );
    const notes = [];
    for (const r of rows) {
      if (r.failuresBeforeFirstKill) notes.push(`${r.label}: ${r.failuresBeforeFirstKill} failed requests before the first kill.`);
      // Cross-check of the drop tracking: sent - answered - errors - drops = requests in flight at the end (0..connections).
      if (r.result) {
        const x = r.result;
        const inflight = x.sent - x.completed - x.errors - x.dropped - x.afterClose;
        if (inflight < 0 || inflight > p.connections) notes.push(`${r.label}: loss accounting off: sent ${x.sent}, answered ${x.completed}, errors ${x.errors}, dropped ${x.dropped}, after close ${x.afterClose} leave ${inflight} in flight (expected 0..${p.connections}).`);
      }
      if (r.stop && !r.stop.clean) notes.push(`${r.label}: unclean stop ${JSON.stringify(r.stop)}.`);
    }
    if (notes.length) {
      out.push('');
      for (const n of notes) out.push(`- ${n}`);
    }
    out.push('');
    out.push('| Target | Measured | Result |');
    out.push('| --- | --- | --- |');
    for (const t of this.evaluate(data)) out.push(`| ${t.name} | ${t.value} | ${verdict(t.ok, t.why)} |`);
    return out.join('\n');
  },
};
