// What p99 the openloop schedule allows at best (issue 17: "if the target is
// missed, show the measurement that bounds it"). The same schedule as the run
// (request i at i / rate, the same seeded burns, each burnMs), replayed
// against `workers` single-threaded workers by a model dispatcher, with
// optimistic costs: a plain request occupies no worker time, the master and
// the generator cost nothing and never share a core with a burn, and every
// response adds only `floorMs` (the fastest plain request measured in the same
// run). A worker serves what reaches it in arrival order (FIFO), so a
// request's latency is its wait plus its own burn plus floorMs.
//
// Two levels of what a balancer decides:
// - per request (modelP99): each request is placed on its own, which is what a
//   connection balancer does when every request opens a new connection:
//     round-robin: request i goes to worker i mod workers;
//     least-work:  to the worker that will be free first, knowing every burn's
//                  remaining time (perfect, instant knowledge; no real one can
//                  know more without delaying requests on purpose).
// - per connection (modelP99Connections): with keep-alive a connection
//   balancer only places connections; the client picks the socket for each
//   request. The generator's choice is replayed (openloop-gen.js): a request
//   takes the socket that has been free longest (first-in first-out reuse) or
//   opens a new one when none is free; a socket is busy from its request's
//   send to its response. Only a new socket is placed, by the same two
//   dispatchers (least-work: the worker free first at the socket's opening,
//   with perfect knowledge then; it cannot know which requests the client will
//   later send on it). Every later request on that socket meets that worker.
// The ratio of each least-work p99 to its round-robin is the best a load-aware
// balancer of that level can do against round-robin on this schedule.
import { burnSchedule } from './burns.js';
import { percentile } from './paced.js';

// `held[w]`: sockets placed on w so far; 'least-connections' (fewest sockets, then
// least work) is a connection-level dispatcher only.
function pickWorker(dispatcher, freeAt, n, held) {
  if (dispatcher === 'round-robin') return n % freeAt.length;
  let w = 0;
  for (let k = 1; k < freeAt.length; k++) {
    if (dispatcher === 'least-connections' && held[k] !== held[w]) {
      if (held[k] < held[w]) w = k;
    } else if (freeAt[k] < freeAt[w]) w = k;
  }
  return w;
}

function p99Of(lat) {
  return percentile(Array.from(lat).sort((a, b) => a - b), 99);
}

/** Per request: the latency of each request of the schedule (ms). `burns` overrides the seeded schedule (tests). */
export function modelLatencies({ rate, duration, burnEvery, burnMs, floorMs, workers = 2, dispatcher, burns }) {
  const total = burns ? burns.length : Math.floor(rate * duration);
  const b = burns ?? burnSchedule(total, burnEvery);
  const freeAt = new Array(workers).fill(0);
  const lat = new Float64Array(total);
  for (let i = 0; i < total; i++) {
    const t = (i / rate) * 1000;
    const w = pickWorker(dispatcher, freeAt, i);
    const start = Math.max(t, freeAt[w]);
    const burn = b[i] ? burnMs : 0;
    freeAt[w] = start + burn;
    lat[i] = start - t + burn + floorMs;
  }
  return lat;
}

export function modelP99(opts) {
  return p99Of(modelLatencies(opts));
}

/**
 * Per connection (keep-alive): the latency of each request and the number of
 * sockets the client opened. Sockets are reused longest-free first, as the
 * generator does; ties (sockets freed at the same instant) go to the older socket.
 */
export function modelConnectionLatencies({ rate, duration, burnEvery, burnMs, floorMs, workers = 2, dispatcher, burns, placement }) {
  const total = burns ? burns.length : Math.floor(rate * duration);
  const b = burns ?? burnSchedule(total, burnEvery);
  const freeAt = new Array(workers).fill(0);
  const lat = new Float64Array(total);
  const sockets = []; // { worker, freeAt }: freeAt is when its last response arrived
  const held = new Array(workers).fill(0);
  for (let i = 0; i < total; i++) {
    const t = (i / rate) * 1000;
    let s = null;
    for (const x of sockets) if (x.freeAt <= t && (s === null || x.freeAt < s.freeAt)) s = x;
    if (s === null) {
      const k = sockets.length;
      s = { worker: placement && k < placement.length ? placement[k] : pickWorker(dispatcher, freeAt, k, held), freeAt: 0 };
      held[s.worker]++;
      sockets.push(s);
    }
    const w = s.worker;
    const start = Math.max(t, freeAt[w]);
    const burn = b[i] ? burnMs : 0;
    freeAt[w] = start + burn;
    lat[i] = start - t + burn + floorMs;
    s.freeAt = t + lat[i];
  }
  return { lat, sockets: sockets.length, placement: sockets.map((x) => x.worker) };
}

/**
 * A clairvoyant connection balancer, approximated: starting from the best of
 * the placements above, move one socket at a time to another worker and keep
 * the move when the whole run's p99 drops (the run replayed each time, since
 * later socket choices follow the latencies), `passes` times over the
 * sockets. It knows the future, so no real balancer reaches it; it is a local
 * optimum, not a proof that nothing lower exists.
 */
export function searchConnections(opts, passes = 2) {
  let best = null;
  for (const dispatcher of ['round-robin', 'least-work', 'least-connections']) {
    const r = modelConnectionLatencies({ ...opts, dispatcher });
    const p99 = p99Of(r.lat);
    if (best === null || p99 < best.p99) best = { p99, placement: r.placement };
  }
  const workers = opts.workers ?? 2;
  for (let pass = 0; pass < passes; pass++) {
    let improved = false;
    for (let k = 0; k < best.placement.length; k++) {
      for (let w = 0; w < workers; w++) {
        if (w === best.placement[k]) continue;
        const placement = best.placement.slice(0, k + 1);
        placement[k] = w;
        const r = modelConnectionLatencies({ ...opts, dispatcher: 'least-work', placement });
        const p99 = p99Of(r.lat);
        if (p99 < best.p99) {
          best = { p99, placement: r.placement };
          improved = true;
        }
      }
    }
    if (!improved) break;
  }
  return best.p99;
}

export function modelP99Connections(opts) {
  return p99Of(modelConnectionLatencies(opts).lat);
}

/** Both model p99s and their ratio for one run's schedule, per request and per connection. */
export function bestCase(opts) {
  const rr = modelP99({ ...opts, dispatcher: 'round-robin' });
  const best = modelP99({ ...opts, dispatcher: 'least-work' });
  const connRr = modelP99Connections({ ...opts, dispatcher: 'round-robin' });
  // The connection level's best: perfect knowledge at each socket's opening,
  // placed by the least work or the fewest sockets (a perfect least-connections).
  const connBest = Math.min(modelP99Connections({ ...opts, dispatcher: 'least-work' }), modelP99Connections({ ...opts, dispatcher: 'least-connections' }));
  const clairvoyant = searchConnections(opts);
  return {
    rr,
    best,
    ratio: rr > 0 ? best / rr : null,
    conn: { rr: connRr, best: connBest, ratio: connRr > 0 ? connBest / connRr : null, clairvoyant },
  };
}
