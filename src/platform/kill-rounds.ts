// SIGKILL whatever `find` names, again until it names nothing new or the
// rounds run out: a process can fork between one look and the signal, so one
// pass is not enough. Returns the pids signalled.
export function sigkillRounds(find: () => number[], rounds: number): number[] {
  const killed: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const found = find().filter((pid) => !killed.includes(pid));
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
