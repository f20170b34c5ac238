// A cgroup per app (tree tracking, issue 15): every worker and the agent are
// moved into it right after they are spawned, so everything they start lands
// there too, whatever it does to its environment, session or process group;
// at stop everything still in it is killed and the cgroup removed.
//
// Kill: cgroup v2's cgroup.kill (Linux >= 5.14) kills the whole cgroup at
// once, forks racing with it included. Without it (v2 cgroup.freeze, v1
// freezer), the cgroup is frozen, every pid in cgroup.procs gets SIGKILL, and
// it is thawed: a frozen process cannot fork, and a SIGKILL pending when it
// thaws is taken first. A v1 pids hierarchy has no freezer: kill in rounds.
//
// The race we accept: a worker is moved after spawn() returns, before node has
// loaded the app, so only a child forked in the first instants of a worker
// (a preload's own child) could start outside; it still carries the
// environment mark (tree-sweep.ts).
//
// Nothing here throws: a cgroup that cannot be made is a reason (the caller
// falls back to the mark), and a failing write is skipped.
import { randomBytes } from './random.js';
import { readdirSync, rmdirSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { anyMasterOf, appCgroupName, cgroupBases, masterOf, type CgroupBase, type CgroupKind } from './cgroup-find.js';
import { pidAlive } from './pid-alive.js';
import { sigkillRounds } from './kill-rounds.js';
import { readText } from './read-text.js';

const KILL_ROUNDS = 5;

function write(file: string, text: string): boolean {
  try {
    writeFileSync(file, text);
    return true;
  } catch {
    return false;
  }
}

// Nested cgroups (an app run by drover that itself runs drover) are walked too:
// killing and removing a cgroup must reach its children's processes and dirs.
function subdirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => path.join(dir, e.name));
  } catch {
    return [];
  }
}

function pidsIn(dir: string, depth = 0): number[] {
  const own = (readText(path.join(dir, 'cgroup.procs')) ?? '')
    .split('\n')
    .filter((l) => /^\d+$/.test(l))
    .map(Number);
  return depth >= 8 ? own : [...own, ...subdirs(dir).flatMap((d) => pidsIn(d, depth + 1))];
}

function rmdirTree(dir: string, depth = 0): void {
  if (depth < 8) for (const d of subdirs(dir)) rmdirTree(d, depth + 1);
  rmdirSync(dir);
}

/** Kills every process in the cgroup at `dir`; returns the pids signalled (empty with cgroup.kill, which names none). */
function killAll(kind: CgroupKind, dir: string): number[] {
  const before = pidsIn(dir);
  if (before.length === 0) return [];
  if (kind === 'v2' && write(path.join(dir, 'cgroup.kill'), '1')) return before;
  const freeze = kind === 'v2' ? path.join(dir, 'cgroup.freeze') : kind === 'v1-freezer' ? path.join(dir, 'freezer.state') : undefined;
  const frozen = freeze !== undefined && write(freeze, kind === 'v2' ? '1' : 'FROZEN');
  const killed = sigkillRounds(() => pidsIn(dir).filter((p) => p !== process.pid), frozen ? 1 : KILL_ROUNDS);
  if (frozen) write(freeze, kind === 'v2' ? '0' : 'THAWED');
  return killed;
}

/** rmdir once the cgroup is empty: killed processes leave it as they exit, a moment after the signal. */
async function removeWhenEmpty(dir: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      rmdirTree(dir);
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return true;
      if (code !== 'EBUSY' || Date.now() >= deadline) return false;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export class AppCgroup {
  constructor(
    readonly kind: CgroupKind,
    readonly dir: string,
  ) {}

  /** Moves a process (and so all it starts afterwards) into the app's cgroup. */
  add(pid: number): boolean {
    return write(path.join(this.dir, 'cgroup.procs'), String(pid));
  }

  pids(): number[] {
    return pidsIn(this.dir);
  }

  /** Kills what is left in the cgroup and removes it; `removed` false when it could not be (still busy after the timeout). */
  async close(timeoutMs = 2_000): Promise<{ killed: number[]; removed: boolean }> {
    const pids = this.pids();
    const killed = killAll(this.kind, this.dir);
    return { killed: killed.length > 0 ? killed : pids, removed: await removeWhenEmpty(this.dir, timeoutMs) };
  }
}

export type CgroupResult = { readonly ok: true; readonly cgroup: AppCgroup } | { readonly ok: false; readonly reason: string };

export interface CgroupProbe {
  readonly mountinfo?: string;
  readonly procCgroup?: string;
}

function bases(probe: CgroupProbe): CgroupBase[] {
  if (process.platform !== 'linux') return [];
  return cgroupBases(probe.mountinfo ?? readText('/proc/self/mountinfo') ?? '', probe.procCgroup ?? readText('/proc/self/cgroup') ?? '');
}

/** Makes the app's cgroup under the one this process is in, in the best hierarchy where that is allowed. */
export function createAppCgroup(app: string, probe: CgroupProbe = {}): CgroupResult {
  if (process.platform !== 'linux') return { ok: false, reason: 'cgroups are Linux only' };
  const found = bases(probe);
  if (found.length === 0) return { ok: false, reason: 'no cgroup v2, freezer or pids hierarchy is mounted for this process' };
  const tried: string[] = [];
  for (const base of found) {
    const dir = path.join(base.dir, appCgroupName(app, process.pid, randomBytes(4).toString('hex')));
    try {
      mkdirSync(dir);
    } catch (err) {
      tried.push(`${base.dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      continue;
    }
    // A v2 cgroup without cgroup.procs, or one we cannot write, is no use.
    if (!existsSync(path.join(dir, 'cgroup.procs'))) {
      tried.push(`${dir}: no cgroup.procs`);
      continue;
    }
    return { ok: true, cgroup: new AppCgroup(base.kind, dir) };
  }
  return { ok: false, reason: `no cgroup could be made (${tried.join('; ')}); run drover as root or in a delegated cgroup (systemd Delegate=yes)` };
}

/**
 * Cgroups of this app whose master is gone (it was SIGKILLed, so it never
 * swept): their processes are killed and the cgroups removed. Cheap: one
 * readdir per hierarchy. Empty cgroups of any app's dead master (a guard
 * killed with its master leaves those) are removed too. Returns what was swept.
 */
export async function sweepLeftovers(app: string, probe: CgroupProbe = {}): Promise<{ dir: string; killed: number[] }[]> {
  const out: { dir: string; killed: number[] }[] = [];
  for (const base of bases(probe)) {
    let names: string[];
    try {
      names = readdirSync(base.dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const master = masterOf(name, app);
      // Another app's cgroup of a dead master: removed only when empty (its processes are that app's next master's to kill).
      const other = master === undefined ? anyMasterOf(name) : undefined;
      if (other !== undefined && other !== process.pid && !pidAlive(other)) {
        if (pidsIn(path.join(base.dir, name)).length === 0) await removeWhenEmpty(path.join(base.dir, name), 0);
        continue;
      }
      if (master === undefined || master === process.pid || pidAlive(master)) continue;
      const dir = path.join(base.dir, name);
      const { killed } = await new AppCgroup(base.kind, dir).close();
      out.push({ dir, killed });
    }
  }
  return out;
}
