// Signals to a worker's process group. The group id is the worker's pid (it
// was started detached); the kernel never hands out a pid that is still in use
// as a process group id, so signalling -pgid after the leader exited reaches
// only what is left of that worker's tree, never a stranger.

export function signalGroup(pgid: number | undefined, signal: NodeJS.Signals): boolean {
  if (pgid === undefined || pgid <= 0) return false;
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}
