// What p99 the openloop schedule allows at best (issue 17: "if the target is
// missed, show the measurement that bounds it"). The same schedule as the run
// (request i at i / rate, the same seeded burns, each burnMs), replayed
// against `workers` single-threaded workers by a model dispatcher, with
// optimistic costs: a plain request occupies no worker time, the master and
// the generator cost nothing and never share a core with a burn, and every
// response adds only `floorMs` (the fastest plain request measured in the same
// run). Two dispatchers:
//   round-robin: request i goes to worker i mod workers (what Node's cluster does);
//   least-work:  each request goes to the worker that will be free first,
//                knowing every burn's remaining time (a balancer with perfect,
//                instant knowledge; no real one can know more without
//                delaying requests on purpose).
// A request waits until its worker is free (FIFO), so its latency is the wait
// plus its own burn plus floorMs. The ratio of the two p99s is the best a
// load-aware strategy can do against round-robin on this schedule.
import { burnSchedule } from './burns.js';
import { percentile } from './paced.js';

export function modelP99({ rate, duration, burnEvery, burnMs, floorMs, workers = 2, dispatcher }) {
  const total = Math.floor(rate * duration);
  const freeAt = new Array(workers).fill(0);
  const lat = new Float64Array(total);
  const burns = burnSchedule(total, burnEvery);
  for (let i = 0; i < total; i++) {
    const t = (i / rate) * 1000;
    let w = 0;
    if (dispatcher === 'round-robin') w = i % workers;
    else for (let k = 1; k < workers; k++) if (freeAt[k] < freeAt[w]) w = k;
    const start = Math.max(t, freeAt[w]);
    const burn = burns[i] ? burnMs : 0;
    freeAt[w] = start + burn;
    lat[i] = start - t + burn + floorMs;
  }
  return percentile(Array.from(lat).sort((a, b) => a - b), 99);
}

/** Both model p99s and their ratio for one run's schedule. */
export function bestCase(opts) {
  const rr = modelP99({ ...opts, dispatcher: 'round-robin' });
  const best = modelP99({ ...opts, dispatcher: 'least-work' });
  return { rr, best, ratio: rr > 0 ? best / rr : null };
}
