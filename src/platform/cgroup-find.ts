// Where drover may make a cgroup: the hierarchies mounted here (from
// /proc/self/mountinfo) and this process's place in each (/proc/self/cgroup).
// Pure parsing, so it is tested on text; the fs reads are in cgroup.ts.
//
// Preference: cgroup v2 (one tree; cgroup.kill on Linux >= 5.14, else
// cgroup.freeze), then v1 freezer (freeze, kill, thaw), then v1 pids (kill in
// rounds). A v2 tree mounted beside v1 ones (a hybrid host, at
// /sys/fs/cgroup/unified) counts as v2.

export type CgroupKind = 'v2' | 'v1-freezer' | 'v1-pids';

export interface CgroupBase {
  readonly kind: CgroupKind;
  /** The directory of the cgroup this process is in, in that hierarchy: the new app cgroup goes under it. */
  readonly dir: string;
}

interface Mount {
  readonly point: string;
  readonly root: string;
  readonly fstype: string;
  readonly options: string;
}

/** /proc/<pid>/mountinfo lines: "id parent maj:min root point opts ... - fstype source superopts". */
export function parseMountinfo(text: string): Mount[] {
  const out: Mount[] = [];
  for (const line of text.split('\n')) {
    const dash = line.indexOf(' - ');
    if (dash < 0) continue;
    const left = line.slice(0, dash).split(' ');
    const right = line.slice(dash + 3).split(' ');
    if (left.length < 5 || right.length < 3) continue;
    // Octal escapes (\040 for a space) in paths.
    const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    out.push({ root: unescape(left[3]!), point: unescape(left[4]!), fstype: right[0]!, options: right[2]! });
  }
  return out;
}

/** /proc/<pid>/cgroup lines "id:controllers:path" → controllers ('' for v2) → path. */
export function parseProcCgroup(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (m) for (const c of m[1]!.split(',')) out.set(c, m[2]!);
  }
  return out;
}

function join(point: string, mountRoot: string, own: string): string | undefined {
  // A mount of a sub-tree (a container's view): our path must be under its root.
  let rel = own;
  if (mountRoot !== '/') {
    if (own !== mountRoot && !own.startsWith(`${mountRoot}/`)) return undefined;
    rel = own.slice(mountRoot.length);
  }
  // In a cgroup namespace the kernel may show a path above the namespace root as "/..": unusable.
  if (rel.includes('/..')) return undefined;
  return `${point}${rel === '/' ? '' : rel}`.replace(/\/+$/, '') || '/';
}

/** The candidate bases, best first. */
export function cgroupBases(mountinfo: string, procCgroup: string): CgroupBase[] {
  const mounts = parseMountinfo(mountinfo);
  const own = parseProcCgroup(procCgroup);
  const out: CgroupBase[] = [];
  const v2 = mounts.find((m) => m.fstype === 'cgroup2');
  const v2path = own.get('');
  if (v2 && v2path !== undefined) {
    const dir = join(v2.point, v2.root, v2path);
    if (dir) out.push({ kind: 'v2', dir });
  }
  for (const [controller, kind] of [['freezer', 'v1-freezer'], ['pids', 'v1-pids']] as const) {
    const m = mounts.find((x) => x.fstype === 'cgroup' && x.options.split(',').includes(controller));
    const path = own.get(controller);
    if (!m || path === undefined) continue;
    const dir = join(m.point, m.root, path);
    if (dir) out.push({ kind, dir });
  }
  return out;
}

const PREFIX = 'drover-';

/**
 * The app cgroup's directory name: drover-<app>-<master pid>.<tag>, the app
 * name made safe for a path; the tag tells apart two supervisors of one app
 * in one process (a library user, the tests), whose halts must not sweep each other.
 */
export function appCgroupName(app: string, masterPid: number, tag: string): string {
  return `${PREFIX}${safeName(app)}-${masterPid}.${tag}`;
}

function safeName(app: string): string {
  return app.replace(/[^A-Za-z0-9_.]/g, '_').slice(0, 100);
}

/** The master pid in the name of any app's cgroup, or undefined when it is not one. */
export function anyMasterOf(name: string): number | undefined {
  const m = /^drover-[A-Za-z0-9_.]+-(\d+)\.[0-9a-z]+$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** The master pid in an app cgroup's name of this app, or undefined when the name is another app's. */
export function masterOf(name: string, app: string): number | undefined {
  const prefix = `${PREFIX}${safeName(app)}-`;
  if (!name.startsWith(prefix)) return undefined;
  const rest = name.slice(prefix.length);
  const m = /^(\d+)\.[0-9a-z]+$/.exec(rest);
  return m ? Number(m[1]) : undefined;
}
