// How much CPU the rest of the machine used during a measurement: busy time
// from /proc/stat minus the CPU time of this run's processes (the harness and
// every process carrying this run's mark, see procs.js). Processes of ours that
// started or ended within the interval are not counted as ours, so the result
// is an upper bound when workers were killed and replaced.
import fs from 'node:fs';
import { markedPids } from './procs.js';

const HZ = 100; // USER_HZ of /proc/stat and /proc/<pid>/stat on Linux

function machineBusyTicks() {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: irq/softirq time (mostly our
  // own loopback traffic) is not charged to any process, so it is left out.
  const [user, nice, system] = f;
  return user + nice + system;
}

function pidTicks(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]); // utime + stime (fields 14, 15)
  } catch {
    return null;
  }
}

export function cpuSnapshot() {
  const pids = new Map();
  for (const pid of markedPids()) {
    const t = pidTicks(pid);
    if (t !== null) pids.set(pid, t);
  }
  const self = process.cpuUsage();
  return { at: Date.now(), busy: machineBusyTicks(), pids, selfUs: self.user + self.system };
}

/** CPU (in cores, averaged over the interval) used by processes that are not this run's. */
export function otherCpu(a, b) {
  const secs = (b.at - a.at) / 1000;
  if (secs <= 0) return null;
  let ours = (b.selfUs - a.selfUs) / 1e6;
  for (const [pid, t] of b.pids) if (a.pids.has(pid)) ours += (t - a.pids.get(pid)) / HZ;
  const busy = (b.busy - a.busy) / HZ;
  return Math.max(0, (busy - ours) / secs);
}
