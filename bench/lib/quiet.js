// Waits, before a scenario, until the machine is quiet: a scenario that ends
// (100 processes stopping, a daemon's last writes, V8's memory reducer in
// the peers' leftovers) still burns CPU for seconds, and the next scenario's
// first rounds would pay for it. Quiet = the whole machine busy below
// `maxCores` over `windowMs`, twice in a row; bounded by `timeoutMs` (the
// scenario then runs anyway and the doc shows what the machine used).
import fs from 'node:fs';

function busyTicks() {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = f;
  return { busy: user + nice + system + irq + softirq + steal, all: user + nice + system + idle + iowait + irq + softirq + steal };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Resolves with { waitedMs, lastCores } once quiet, or at the timeout. */
export async function waitQuiet({ maxCores = 0.25, windowMs = 1000, timeoutMs = 30_000, cores } = {}) {
  const t0 = Date.now();
  let quietRuns = 0;
  let lastCores = NaN;
  while (Date.now() - t0 < timeoutMs) {
    const a = busyTicks();
    await sleep(windowMs);
    const b = busyTicks();
    const frac = (b.busy - a.busy) / Math.max(1, b.all - a.all);
    lastCores = frac * cores;
    quietRuns = lastCores < maxCores ? quietRuns + 1 : 0;
    if (quietRuns >= 2) break;
  }
  return { waitedMs: Date.now() - t0, lastCores };
}
