// How many workers: `max`, a count, or cores minus n; and the refusal of far
// more workers than cores. Zod-free: the app master checks `scale` with it
// without loading the option schema.
import { DroverError } from '../errors.js';
import { availableCpus } from '../platform/cpu-quota.js';

/** More workers per core than this is refused without `force`: they would only compete for the CPU. */
export const MAX_WORKERS_PER_CORE = 4;

export function checkWorkerCount(n: number, force: boolean, label: string, cores = availableCpus()): number {
  if (force || n <= MAX_WORKERS_PER_CORE * cores) return n;
  throw new DroverError(
    'DROVER_E_TOO_MANY_WORKERS',
    `${label} ${n} is more than ${MAX_WORKERS_PER_CORE} workers per core (${cores} cores here, so at most ${MAX_WORKERS_PER_CORE * cores}): use max (one per core) or fewer, or add --force to start them anyway`,
    { instances: n, cores },
  );
}

export function resolveInstances(instances: number | 'max', cores = availableCpus()): number {
  if (instances === 'max') return cores;
  if (instances > 0) return instances;
  const n = cores + instances;
  if (n < 1) {
    throw new DroverError(
      'DROVER_E_INVALID_OPTION',
      `instances ${instances} leaves no worker on a machine with ${cores} cores: use a number from -${cores - 1} upwards, or a positive count`,
    );
  }
  return n;
}
