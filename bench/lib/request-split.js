// Where the slowest requests of a new-connection-per-request run spent their
// time (issue 17: is the tail queued at the master or at the worker?). Joins
// the generator's samples (scheduled time, latency, answering pid) with the
// app's log of each connection (MIXED_TRACE: opened and closed in the worker)
// and, for drover, its dispatch trace (DROVER_BALANCE_TRACE: when the master
// handed the connection over), on one clock (performance.timeOrigin + now, ms;
// `origin` is the samples' time zero on it).
//
// One connection is one request here. A sample answered by pid P at `done` is
// matched to the unmatched connection of P opened after its scheduled time
// (less 2 ms of slack for clock reads) that closed last no later than done
// (+ 2 ms). The master hands a worker its connections in order over one
// channel, so P's k-th hand-off is the k-th connection P opened.
// Split of each matched request:
//   toMaster  scheduled → handed off by the master (generator lateness, the
//             kernel's accept queue, the master's own wake-up and queue);
//   toWorker  scheduled → opened in the worker (for Node's cluster, all of the
//             above and the hand-off, which leaves no trace);
//   atWorker  opened → closed in the worker (waiting behind other requests on
//             that worker, its own work).
import { median } from './time.js';

const SLACK_MS = 2;

export function requestSplit(samples, origin, traces, tailShare = 0.01) {
  if (!traces || !(origin > 0)) return null;
  const handedAt = new Map();
  for (const d of traces.dispatches) {
    if (!handedAt.has(d.chosen)) handedAt.set(d.chosen, []);
    handedAt.get(d.chosen).push(d.at);
  }
  const used = new Map();
  const rows = [];
  for (const s of samples) {
    const app = traces.apps.get(s.pid);
    if (!app?.conns) continue;
    const sched = origin + s.at;
    const done = sched + s.latency;
    const conns = app.conns;
    let lo = 0;
    let hi = conns.length;
    while (lo < hi) {
      const m = (lo + hi) >> 1;
      if (conns[m][0] < sched - SLACK_MS) lo = m + 1;
      else hi = m;
    }
    if (!used.has(s.pid)) used.set(s.pid, new Set());
    const taken = used.get(s.pid);
    let best = -1;
    for (let k = lo; k < conns.length && conns[k][0] <= done; k++) {
      if (!taken.has(k) && conns[k][1] <= done + SLACK_MS && (best === -1 || conns[k][1] > conns[best][1])) best = k;
    }
    if (best === -1) continue;
    taken.add(best);
    const [opened, closed] = conns[best];
    const handed = handedAt.get(s.pid)?.[best];
    rows.push({ latency: s.latency, toMaster: handed === undefined ? null : handed - sched, toWorker: opened - sched, atWorker: closed - opened });
  }
  if (rows.length === 0) return { matched: 0, tail: 0 };
  rows.sort((a, b) => b.latency - a.latency);
  const tail = rows.slice(0, Math.max(1, Math.ceil(rows.length * tailShare)));
  return {
    matched: rows.length / samples.length,
    tail: tail.length,
    toMaster: median(tail.map((r) => r.toMaster)),
    toWorker: median(tail.map((r) => r.toWorker)),
    atWorker: median(tail.map((r) => r.atWorker)),
  };
}
