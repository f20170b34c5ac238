// Whether a pid names a live process. EPERM means it exists but belongs to
// another user: alive. Says nothing about *which* process it is (pids are
// reused): proc-identity.ts proves that where it matters.
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
