// The frame the fault scenarios (crash, rebalance, spares) share: a tracked
// keep-alive load against a running subject, something done to the subject
// meanwhile (kills), then the load's result, the CPU other processes used
// over it, and the subject stopped whatever happened.
import { cpuSnapshot, otherCpu } from './cpu.js';
import { trackedLoad } from './load.js';

/**
 * Runs `body({ loadStart, failures, artifacts, settle })` once the load has
 * started. `settle(promise)`: something that must be in before the subject
 * stops (e.g. a replacement's `listening` line), awaited after the load ends.
 * `loadOptions` go to trackedLoad (url is the subject's).
 * Resolves { result, stop, otherCpu, loadStart, failures, artifacts, value }.
 */
export async function underLoad(running, loadOptions, body) {
  const load = trackedLoad({ url: running.url, ...loadOptions });
  const settling = [];
  const cpu0 = cpuSnapshot();
  let result;
  let stop;
  let other = null;
  let loadStart = null;
  let value;
  try {
    loadStart = await load.started;
    value = await body({ loadStart, failures: load.failures, artifacts: load.artifacts, settle: (p) => settling.push(p) });
    result = await load.done;
    other = otherCpu(cpu0, cpuSnapshot());
    await Promise.all(settling);
  } finally {
    await load.done.catch(() => {});
    stop = await running.stop();
  }
  return { result, stop, otherCpu: other, loadStart, failures: load.failures, artifacts: load.artifacts, value };
}

/**
 * SIGKILLs worker `pid` of a subject whose tracker follows its lifecycle lines.
 * Returns { at, up } where `up` resolves with the next worker that comes up
 * ({ pid, time, seenAt }) or null after timeoutMs; throws if the kill fails.
 */
export function killWorker(tracker, pid, timeoutMs) {
  const up = tracker.nextUp(new Set(tracker.everSeen), timeoutMs);
  const at = Date.now();
  process.kill(pid, 'SIGKILL');
  tracker.markDead(pid);
  return { at, up };
}
