// Counts in sentences for people, in one place: "1 worker", "2 workers".
export function workerCount(n: number): string {
  return `${n} worker${n === 1 ? '' : 's'}`;
}
