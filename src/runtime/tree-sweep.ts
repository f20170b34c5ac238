// "No orphans" for what escapes the process groups. Workers lead their own
// process group and the master kills the group after a worker exits, but a
// grandchild that calls setsid() (a daemonising helper, `setsid cmd &`) is in
// a group of its own, is reparented to init, and survives a stop, SIGTERM or
// not (issue 15).
//
// Every process a supervisor starts gets DROVER_TREE=<random mark> in its
// environment, and children inherit the environment, so the app's whole tree
// carries it. When the supervisor halts, after its workers are gone, it reads
// /proc/<pid>/environ of every process of its own uid and SIGKILLs those with
// its mark (a few rounds, for a process forked while the sweep ran).
//
// What this catches: any descendant, in any session or group, that kept the
// variable (the default: exec and fork keep the environment). What it does
// not: a process that cleared or rewrote its environment (env -i, execve with
// a new env), one running as another uid (setuid helpers), one whose
// environment cannot be read, and anything left when the master itself is
// SIGKILLed (no sweep runs; the group guard still ends the worker groups).
// A cgroup per app would catch those too; drover does not create cgroups yet.
// Linux only (elsewhere /proc/<pid>/environ does not exist and this does nothing).
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';

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
    const killed: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const found = markedProcesses(this.value).filter((pid) => !killed.includes(pid));
      if (found.length === 0) break;
      for (const pid of found) {
        try {
          process.kill(pid, 'SIGKILL');
          killed.push(pid);
        } catch {
          // gone already
        }
      }
    }
    return killed;
  }
}
