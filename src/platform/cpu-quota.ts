// The CPUs this process may use: the host's cores (and CPU affinity, which
// os.availableParallelism() already honours), capped by the CPU quota of its
// cgroup. A pod limited to 2 CPUs on a 64-core node sees 64 cores in
// os.cpus(); with `instances: 'max'` it would start 64 workers that the CFS
// quota then throttles in turn.
//
// Where the quota lives:
// - cgroup v2: `cpu.max` = "<quota> <period>" or "max <period>";
// - cgroup v1: `cpu.cfs_quota_us` (-1: none) and `cpu.cfs_period_us`.
// The process's own cgroup comes from /proc/self/cgroup ("0::<path>" for v2,
// "<n>:<controllers>:<path>" for v1) and the mount point of its hierarchy from
// /proc/self/mountinfo. A parent's quota caps its children too (a Kubernetes
// pod's limit sits one level above its container's), so every level from the
// process's cgroup up to the mount point counts and the smallest quota wins.
// Everything is read under `root` so tests can point it at a fake tree.
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { readText } from './read-text.js';

interface Hierarchy {
  readonly version: 1 | 2;
  /** Absolute directory of the process's cgroup in this hierarchy (under root). */
  readonly dir: string;
  /** Where the hierarchy is mounted (under root): the walk up stops here. */
  readonly top: string;
}

const MAX_DEPTH = 64;

/** mountinfo escapes space, tab, newline and backslash as \ooo. */
const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));

function hierarchies(root: string): Hierarchy[] {
  const cgroupText = readText(path.join(root, 'proc/self/cgroup'));
  const mountText = readText(path.join(root, 'proc/self/mountinfo'));
  if (!cgroupText || !mountText) return [];
  let v2Path: string | undefined;
  let v1Path: string | undefined;
  for (const line of cgroupText.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    if (m[1] === '0' && m[2] === '') v2Path = m[3];
    else if (m[2]!.split(',').includes('cpu')) v1Path = m[3];
  }
  const found: Hierarchy[] = [];
  for (const line of mountText.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const fields = left.split(' ');
    const [fstype, , superOptions = ''] = right.split(' ');
    const mountRoot = unescape(fields[3] ?? '/');
    const mountPoint = unescape(fields[4] ?? '');
    let cgroupPath: string | undefined;
    let version: 1 | 2;
    if (fstype === 'cgroup2' && v2Path !== undefined) {
      cgroupPath = v2Path;
      version = 2;
    } else if (fstype === 'cgroup' && v1Path !== undefined && superOptions.split(',').includes('cpu')) {
      cgroupPath = v1Path;
      version = 1;
    } else continue;
    // Without a cgroup namespace a container sees its full path in /proc/self/cgroup
    // while its mount's root is that same path: what lies below the mount root is relative.
    let rel: string;
    if (mountRoot === '/') rel = cgroupPath;
    else if (cgroupPath === mountRoot || cgroupPath.startsWith(`${mountRoot}/`)) rel = cgroupPath.slice(mountRoot.length);
    else rel = '/';
    const top = path.join(root, mountPoint);
    const dir = path.join(top, path.normalize(`/${rel}`));
    found.push({ version, dir, top });
  }
  return found;
}

/** CPUs granted by one cgroup directory's quota, or undefined for none. */
function quotaAt(h: Hierarchy, dir: string): number | undefined {
  if (h.version === 2) {
    const text = readText(path.join(dir, 'cpu.max'));
    const [quota, period] = (text ?? '').trim().split(/\s+/);
    if (!quota || quota === 'max' || !period) return undefined;
    const q = Number(quota);
    const p = Number(period);
    return q > 0 && p > 0 ? q / p : undefined;
  }
  const q = Number(readText(path.join(dir, 'cpu.cfs_quota_us'))?.trim());
  const p = Number(readText(path.join(dir, 'cpu.cfs_period_us'))?.trim());
  return Number.isFinite(q) && Number.isFinite(p) && q > 0 && p > 0 ? q / p : undefined;
}

/**
 * The CPU quota of this process's cgroup in CPUs (fractional, e.g. 1.5), the
 * smallest along its ancestors in every hierarchy with the CPU controller, or
 * undefined when there is none (or no cgroups: not Linux, /proc hidden).
 */
export function cgroupCpuQuota(root = '/'): number | undefined {
  let limit: number | undefined;
  for (const h of hierarchies(root)) {
    let dir = h.dir;
    for (let depth = 0; depth < MAX_DEPTH; depth++) {
      const q = quotaAt(h, dir);
      if (q !== undefined) limit = limit === undefined ? q : Math.min(limit, q);
      if (dir === h.top || !dir.startsWith(`${h.top}/`)) break;
      dir = path.dirname(dir);
    }
  }
  return limit;
}

/**
 * How many workers `instances: 'max'` means: the quota rounded up (1.5 CPUs →
 * 2 workers: the half CPU still runs one), at least 1, never more than the
 * cores (and affinity) this process can run on.
 */
export function availableCpus(options: { root?: string; cores?: number } = {}): number {
  const cores = options.cores ?? availableParallelism();
  const quota = cgroupCpuQuota(options.root);
  if (quota === undefined) return cores;
  return Math.max(1, Math.min(cores, Math.ceil(quota - 1e-9)));
}
