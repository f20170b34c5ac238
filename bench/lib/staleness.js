// How stale is what a load-aware strategy sees (issue 17)? Joins drover's
// dispatch trace (DROVER_BALANCE_TRACE: per hand-off, each member's
// connections / queued / stalled as the strategy saw them) with the mixed
// app's own log (MIXED_TRACE: when each connection really closed, when each
// burn ran), on one clock (performance.timeOrigin + now, ms).
//
// Truth for worker w at a hand-off at time t:
//   open(w, t)    = hand-offs to w before t − connections w closed before t
//                   (a hand-off still in the pipe counts as open: the master
//                   knows it handed it over, and the worker will serve it);
//   burning(w, t) = t falls in one of w's burns.
// Results:
//   overcount: mean of (connections seen − open) over members and hand-offs
//     (closes not reported yet; ≥ 0 unless a report raced the trace);
//   exact: share of (member, hand-off) pairs where the count seen was the truth;
//   blind: share of hand-offs that went to a burning worker while another was
//     not burning, split by what the strategy saw: the burning one looked
//     less or equally loaded (`looked idle`), or it was marked stalled.
import fs from 'node:fs';
import path from 'node:path';

function parseDispatches(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const [at, , chosen, view] = line.split(' ');
    out.push({
      at: Number(at),
      chosen: Number(chosen),
      view: view.split(',').map((v) => {
        const [pid, connections, queued, stalled] = v.split(':').map(Number);
        return { pid, connections, queued, stalled: stalled === 1 };
      }),
    });
  }
  return out;
}

function parseApp(text) {
  const closes = [];
  const conns = []; // [opened, closed], for request-split.js
  const burns = [];
  for (const line of text.split('\n')) {
    const [kind, a, b] = line.split(' ');
    if (kind === 'c') {
      closes.push(Number(b));
      conns.push([Number(a), Number(b)]);
    } else if (kind === 'b') burns.push([Number(a), Number(b)]);
  }
  closes.sort((x, y) => x - y);
  conns.sort((x, y) => x[0] - y[0]);
  burns.sort((x, y) => x[0] - y[0]);
  return { closes, conns, burns };
}

/**
 * Reads `<dispatchFile>` and every `<appPrefix>.<pid>`; null when there is
 * neither (Node's cluster writes no dispatch trace: its app log alone).
 */
export function readTraces(dispatchFile, appPrefix) {
  const dispatches = fs.existsSync(dispatchFile) ? parseDispatches(fs.readFileSync(dispatchFile, 'utf8')) : [];
  const dir = path.dirname(appPrefix);
  const base = path.basename(appPrefix) + '.';
  const apps = new Map();
  for (const f of fs.readdirSync(dir)) {
    if (f.startsWith(base)) apps.set(Number(f.slice(base.length)), parseApp(fs.readFileSync(path.join(dir, f), 'utf8')));
  }
  if (dispatches.length === 0 && apps.size === 0) return null;
  return { dispatches, apps };
}

/** Counts of sorted `times` < t, advancing a cursor (hand-offs are in time order). */
function counter(times) {
  let i = 0;
  return (t) => {
    while (i < times.length && times[i] < t) i++;
    return i;
  };
}

function burningAt(burns) {
  let i = 0;
  return (t) => {
    while (i < burns.length && burns[i][1] <= t) i++;
    return i < burns.length && burns[i][0] <= t;
  };
}

/** `window` ([from, to] on the same clock): only hand-offs in it are scored (all of them count towards the truth). */
export function staleness({ dispatches, apps }, window = [-Infinity, Infinity]) {
  const handed = new Map();
  const closedBefore = new Map();
  const burning = new Map();
  for (const [pid, a] of apps) {
    closedBefore.set(pid, counter(a.closes));
    burning.set(pid, burningAt(a.burns));
  }
  let pairs = 0;
  let exact = 0;
  let over = 0;
  let blind = 0;
  let blindLookedIdle = 0;
  let blindStalled = 0;
  let avoidable = 0;
  let n = 0;
  for (const d of dispatches) {
    if (d.at < window[0] || d.at > window[1]) {
      handed.set(d.chosen, (handed.get(d.chosen) ?? 0) + 1);
      continue;
    }
    n++;
    const busy = new Map();
    for (const v of d.view) {
      if (!apps.has(v.pid)) continue;
      const open = (handed.get(v.pid) ?? 0) - closedBefore.get(v.pid)(d.at);
      pairs++;
      over += v.connections - open;
      if (v.connections === open) exact++;
      busy.set(v.pid, burning.get(v.pid)(d.at));
    }
    const chosenBusy = busy.get(d.chosen);
    const someIdle = [...busy.values()].some((b) => !b);
    if (someIdle && [...busy.values()].some((b) => b)) avoidable++;
    if (chosenBusy && someIdle) {
      blind++;
      const c = d.view.find((v) => v.pid === d.chosen);
      if (c?.stalled) blindStalled++;
      else blindLookedIdle++;
    }
    handed.set(d.chosen, (handed.get(d.chosen) ?? 0) + 1);
  }
  return {
    dispatches: n,
    overcount: pairs ? over / pairs : null,
    exact: pairs ? exact / pairs : null,
    // Hand-offs made while one worker burned and another did not: where the choice mattered.
    avoidable: n ? avoidable / n : null,
    blind: n ? blind / n : null,
    blindOfAvoidable: avoidable ? blind / avoidable : null,
    blindLookedIdle: n ? blindLookedIdle / n : null,
    blindStalled: n ? blindStalled / n : null,
  };
}
