// No orphans when the master dies, even by SIGKILL. pdeathsig (process-host.ts)
// kills each worker, but not what the worker started: a SIGKILLed worker never
// runs the code that would end its process group, and the kernel gives its
// children to PID 1. So the master keeps one small guard process (a POSIX sh,
// in its own session, so a Ctrl-C to the terminal does not reach it) and tells
// it on a pipe which worker groups exist. The pipe reaches end-of-file only
// when the master is gone (exit or SIGKILL: the kernel closes its end); the
// guard then SIGKILLs every group still listed, and exits. The master removes
// a group after it has ended it itself, so the guard never signals a group
// the master did not start.
// With tree tracking by cgroup (tree-sweep.ts), the guard is also told the
// app's cgroup ("c <dir>"): at end-of-file it kills everything in it
// (cgroup.kill, else SIGKILL to each pid listed; the guard itself is not in it)
// and removes it, so a master SIGKILL leaves neither escaped grandchildren nor
// the cgroup behind. When the master swept the cgroup itself, it is gone and
// this does nothing.
import { spawn, type ChildProcess } from 'node:child_process';

// Lines "+ <pgid>" / "- <pgid>" / "c <dir>"; the first one may come as the
// script's arguments instead ($1 $2), so that a guard whose master dies before
// it wrote anything still has it (see start()). Process group ids are
// numbers: the list is a space-separated word list.
const GUARD_SCRIPT = `
cg= gs=
op() {
  case $1 in
    +) gs="$gs $2" ;;
    -) n=; for g in $gs; do [ "$g" = "$2" ] || n="$n $g"; done; gs=$n ;;
    c) cg=$2 ;;
  esac
}
[ $# -eq 0 ] || op "$1" "$2"
while read -r o a; do op "$o" "$a"; done
for g in $gs; do kill -s KILL -- "-$g" 2>/dev/null; done
if [ -n "$cg" ] && [ -d "$cg" ]; then
  [ -f "$cg/cgroup.kill" ] && echo 1 > "$cg/cgroup.kill" 2>/dev/null
  for p in $(cat "$cg/cgroup.procs" 2>/dev/null); do kill -s KILL "$p" 2>/dev/null; done
  i=0
  while [ -d "$cg" ] && ! rmdir "$cg" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
fi
`;

interface Guard {
  readonly proc: ChildProcess;
  /** The spawn failed (no /bin/sh): nothing to write to. */
  failed: boolean;
}

/**
 * The first line travels in argv: a spawn blocks until the child has
 * exec'd (libuv), and a master SIGKILLed inside it (10-20 ms under load)
 * or before a write to the pipe would leave a guard that knows nothing.
 */
function spawnGuard(first: readonly string[]): Guard | undefined {
  let proc: ChildProcess;
  try {
    proc = spawn('/bin/sh', ['-c', GUARD_SCRIPT, 'drover-guard', ...first], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
  } catch {
    return undefined;
  }
  const guard: Guard = { proc, failed: false };
  proc.on('error', () => (guard.failed = true));
  proc.stdin!.on('error', () => {});
  // Neither the guard nor its pipe keeps the master alive.
  proc.unref();
  (proc.stdin as unknown as { unref?: () => void }).unref?.();
  return guard;
}

let prearmed: Guard | undefined;

/**
 * An app master's first line (daemon/app-master.ts): its guard is spawned
 * while the process is small and then waits for its app record anyway, so
 * the spawn (5-15 ms here) is off a warm start's path. The master's
 * supervisor takes it (one per process; a later supervisor spawns its own).
 */
export function prearmGroupGuard(): void {
  if (process.platform !== 'win32') prearmed ??= spawnGuard([]);
}

export class GroupGuard {
  private guard: Guard | undefined;
  private failed = process.platform === 'win32';

  /**
   * Starts the guard now, before the caller forks anything (the supervisor's
   * start). It must exist before a worker's program runs: a grandchild forked
   * while no guard holds its group survives a master SIGKILL. The guard was
   * once started after a start's forks, to take its blocking spawn off the
   * path to the first worker (issue 17); an exec-mode worker's child then
   * appeared before it, and a SIGKILL in those 10-20 ms orphaned it
   * (orphans.test.js, about one run in two).
   */
  arm(): void {
    if (!this.guard && !this.failed) this.start([]);
  }

  /** A worker's process group (its pid: workers are started detached). */
  add(pgid: number | undefined): void {
    if (pgid === undefined) return;
    this.write('+', String(pgid));
  }

  /** Call after the master ended the group itself. */
  remove(pgid: number | undefined): void {
    if (pgid === undefined) return;
    this.write('-', String(pgid));
  }

  /** The app's cgroup (tree-sweep.ts): killed and removed by the guard if the master dies without doing it. */
  cgroup(dir: string): void {
    if (!/[\n\r]/.test(dir)) this.write('c', dir);
  }

  /** The supervisor halted: every group is gone; the guard exits on end-of-file. */
  close(): void {
    this.guard?.proc.stdin?.end();
    this.guard = undefined;
  }

  // A write to the guard's pipe is made in the call (libuv writes at once
  // when nothing is queued): a master SIGKILLed right after it has been heard.
  private write(op: string, arg: string): void {
    if (this.failed) return;
    if (!this.guard) this.start([op, arg]);
    else if (!this.guard.failed) this.guard.proc.stdin?.write(`${op} ${arg}\n`);
  }

  private start(first: readonly string[]): void {
    const kept = prearmed;
    prearmed = undefined;
    const guard = kept ?? spawnGuard(first);
    if (!guard) {
      this.failed = true;
      return;
    }
    this.guard = guard;
    if (kept && first.length > 0) this.write(first[0]!, first[1]!);
  }
}
