// "No orphans" for what escapes the process groups. Workers lead their own
// process group and the master kills the group after a worker exits, but a
// grandchild that calls setsid() (a daemonising helper, `setsid cmd &`) is in
// a group of its own, is reparented to init, and survives a stop, SIGTERM or
// not (issue 15). Two ways to find the app's whole tree (option treeTracking):
//
// cgroup (platform/cgroup.ts): each worker and the agent are moved into a
// cgroup of the app's own; at halt everything in it is killed (cgroup.kill,
// else freeze + SIGKILL + thaw) and the cgroup removed. Catches every
// descendant, whatever it does to its environment, session or uid. Needs a
// hierarchy where drover may create a cgroup (root, or a delegated v2 tree).
//
// env (the mark): every process a supervisor starts gets DROVER_TREE=<random
// mark> in its environment, and children inherit the environment, so the
// app's tree carries it. At halt, after the workers are gone, /proc/<pid>/environ
// of every process of our uid is read and those with the mark get SIGKILL (a
// few rounds, for a process forked while the sweep ran). Misses a process that
// cleared or rewrote its environment (env -i, execve with a new env), one
// running as another uid (setuid helpers), one whose environment cannot be read.
//
// auto (default) = cgroup where one can be made, else env (why is logged once);
// the mark is set in cgroup mode too, for a child forked before its worker was
// moved. off = process groups only. Neither catches what is left when the
// master itself is SIGKILLed (no sweep runs; the group guard still ends the
// worker groups): with cgroups, the app's next master sweeps a leftover
// cgroup of a dead master of the same app name at start.
// Linux only (elsewhere neither /proc/<pid>/environ nor cgroups exist and this does nothing).
import { randomBytes } from '../platform/random.js';
import { readdirSync, readFileSync } from 'node:fs';
import type { TreeTracking } from '../core/enums.js';
import { createAppCgroup, sweepLeftovers, type AppCgroup } from '../platform/cgroup.js';
import { sigkillRounds } from '../platform/kill-rounds.js';

export const TREE_MARK_VAR = 'DROVER_TREE';
const ROUNDS = 3;

function uidOf(pid: number): number | undefined {
  try {
    const m = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Pids (not this process) of our uid whose environment holds `${TREE_MARK_VAR}=${mark}`. */
export function markedProcesses(mark: string): number[] {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  const needle = Buffer.from(`${TREE_MARK_VAR}=${mark}\0`);
  const uid = process.getuid?.();
  const out: number[] = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    let env: Buffer;
    try {
      env = readFileSync(`/proc/${pid}/environ`);
    } catch {
      continue;
    }
    if (!env.includes(needle)) continue;
    if (uid !== undefined && uidOf(pid) !== uid) continue;
    out.push(pid);
  }
  return out;
}

export class TreeMark {
  readonly value = randomBytes(12).toString('hex');

  /** To add to the environment of every process the supervisor starts. */
  get env(): Record<string, string> {
    return { [TREE_MARK_VAR]: this.value };
  }

  /** SIGKILLs what is left of the app's tree; returns the pids signalled. */
  sweep(): number[] {
    return sigkillRounds(() => markedProcesses(this.value), ROUNDS);
  }
}

export interface TreeLog {
  readonly info: (fields: Record<string, unknown>, message: string) => void;
  readonly warn: (fields: Record<string, unknown>, message: string) => void;
}

/** The app's tree tracking in the mode asked for: the mark, a cgroup, both, or neither. */
export class AppTree {
  private readonly mark: TreeMark | undefined;
  private cgroup: AppCgroup | undefined;
  private opened = false;

  constructor(
    readonly mode: TreeTracking,
    private readonly app: string,
  ) {
    this.mark = mode === 'off' ? undefined : new TreeMark();
  }

  /** 'cgroup' when one is in use, else 'env' or 'off'. */
  get using(): 'cgroup' | 'env' | 'off' {
    return this.cgroup ? 'cgroup' : this.mark ? 'env' : 'off';
  }

  /** Where the app's cgroup is, if it has one. */
  get cgroupDir(): string | undefined {
    return this.cgroup?.dir;
  }

  /**
   * Once, before the first spawn: makes the cgroup (never fails a start: when
   * none can be made, says why once and keeps the mark) and sweeps leftover
   * cgroups of a dead master of this app, in the background.
   */
  open(log: TreeLog | undefined): void {
    if (this.opened || (this.mode !== 'auto' && this.mode !== 'cgroup')) return;
    this.opened = true;
    const made = createAppCgroup(this.app);
    if (made.ok) {
      this.cgroup = made.cgroup;
      log?.info({ event: 'tree-tracking', using: 'cgroup', kind: made.cgroup.kind, cgroup: made.cgroup.dir }, `tree tracking: the app's processes go into the cgroup ${made.cgroup.dir}`);
    } else {
      const message = `tree tracking: no cgroup for the app (${made.reason}); a stop finds its processes by the environment mark only`;
      if (this.mode === 'cgroup') log?.warn({ event: 'tree-tracking', using: 'env', reason: made.reason }, message);
      else log?.info({ event: 'tree-tracking', using: 'env', reason: made.reason }, message);
      return;
    }
    sweepLeftovers(this.app).then(
      (swept) => {
        for (const s of swept) log?.warn({ event: 'orphans-killed', pids: s.killed, cgroup: s.dir }, `killed ${s.killed.length} process(es) left in ${s.dir} by a master of this app that died`);
      },
      () => {},
    );
  }

  /** To add to the environment of every process the supervisor starts. */
  get env(): Record<string, string> {
    return this.mark ? this.mark.env : {};
  }

  /** A new worker or agent: into the cgroup (false when that failed; the mark still holds). */
  place(pid: number | undefined): boolean {
    return pid === undefined || !this.cgroup || this.cgroup.add(pid);
  }

  /** At halt: kills what is left of the tree and removes the cgroup. */
  async sweep(): Promise<{ killed: number[]; cgroup?: { dir: string; removed: boolean } }> {
    const killed: number[] = [];
    let cgroup: { dir: string; removed: boolean } | undefined;
    if (this.cgroup) {
      const closed = await this.cgroup.close();
      killed.push(...closed.killed);
      cgroup = { dir: this.cgroup.dir, removed: closed.removed };
      this.cgroup = undefined;
    }
    if (this.mark) for (const pid of this.mark.sweep()) if (!killed.includes(pid)) killed.push(pid);
    return { killed, cgroup };
  }
}
