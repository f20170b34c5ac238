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

// Lines "+ <pgid>" / "- <pgid>"; the list lives in the positional parameters.
const GUARD_SCRIPT = `
set --
cg=
while read -r op pg; do
  case $op in
    +) set -- "$@" "$pg" ;;
    -) for g do shift; [ "$g" = "$pg" ] || set -- "$@" "$g"; done ;;
    c) cg=$pg ;;
  esac
done
for g do kill -s KILL -- "-$g" 2>/dev/null; done
if [ -n "$cg" ] && [ -d "$cg" ]; then
  [ -f "$cg/cgroup.kill" ] && echo 1 > "$cg/cgroup.kill" 2>/dev/null
  for p in $(cat "$cg/cgroup.procs" 2>/dev/null); do kill -s KILL "$p" 2>/dev/null; done
  i=0
  while [ -d "$cg" ] && ! rmdir "$cg" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
fi
`;

export class GroupGuard {
  private guard: ChildProcess | undefined;
  private failed = process.platform === 'win32';
  /**
   * Lines for a guard not started yet. The guard starts on a microtask after
   * its first line, not in the call: a spawn blocks the master until the child
   * has exec'd (libuv), and the first lines come from a start's forks, so the
   * workers of a start are forked first and the guard right after them, in the
   * same turn (issue 17: the guard's fork was on every start's path to the
   * first worker). Until then a master SIGKILL is covered by each worker's
   * pdeathsig; a worker that has just exec'd has started nothing yet, and a
   * cgroup left behind is swept by the app's next start (tree-sweep.ts).
   */
  private pending: string[] | undefined;

  /** A worker's process group (its pid: workers are started detached). The guard starts with the first. */
  add(pgid: number | undefined): void {
    if (pgid === undefined) return;
    this.write(`+ ${pgid}\n`);
  }

  /** Call after the master ended the group itself. */
  remove(pgid: number | undefined): void {
    if (pgid === undefined) return;
    this.write(`- ${pgid}\n`);
  }

  /** The app's cgroup (tree-sweep.ts): killed and removed by the guard if the master dies without doing it. */
  cgroup(dir: string): void {
    if (!/[\n\r]/.test(dir)) this.write(`c ${dir}\n`);
  }

  /** The supervisor halted: every group is gone; the guard exits on end-of-file. */
  close(): void {
    this.pending = undefined;
    this.guard?.stdin?.end();
    this.guard = undefined;
  }

  private write(line: string): void {
    if (this.failed) return;
    if (this.guard) {
      this.guard.stdin?.write(line);
      return;
    }
    if (this.pending) {
      this.pending.push(line);
      return;
    }
    const pending = (this.pending = [line]);
    queueMicrotask(() => {
      // Closed meanwhile (or closed and used again): nothing to guard here.
      if (this.pending !== pending) return;
      this.pending = undefined;
      this.start(pending.join(''));
    });
  }

  private start(lines: string): void {
    let guard: ChildProcess;
    try {
      guard = spawn('/bin/sh', ['-c', GUARD_SCRIPT], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
    } catch {
      this.failed = true;
      return;
    }
    guard.on('error', () => (this.failed = true));
    guard.stdin!.on('error', () => {});
    // Neither the guard nor its pipe keeps the master alive.
    guard.unref();
    (guard.stdin as unknown as { unref?: () => void }).unref?.();
    this.guard = guard;
    guard.stdin!.write(lines);
  }
}
