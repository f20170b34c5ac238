import { STRATEGY_ALIASES, STRATEGY_NAMES, type StrategyName } from '../../core/enums.js';
import type { Strategy } from '../strategy.js';
import { leastConnections } from './least-connections.js';
import { leastLoaded } from './least-loaded.js';
import { roundRobin } from './round-robin.js';
import { sticky } from './sticky.js';
import { weighted } from './weighted.js';

export { leastConnections, leastLoaded, roundRobin, sticky, weighted };

// Kernel distribution modes (shared handle, reusePort) are not strategies: the
// master never picks a worker in them. The names live in core/enums.ts.
export { STRATEGY_ALIASES, STRATEGY_NAMES, type StrategyName } from '../../core/enums.js';

const FACTORIES: Readonly<Record<StrategyName, () => Strategy>> = {
  'round-robin': roundRobin,
  'least-connections': leastConnections,
  'least-loaded': leastLoaded,
  sticky,
  weighted,
};

export function isStrategyName(name: string): name is StrategyName {
  return Object.hasOwn(FACTORIES, name);
}

/** The canonical name for a name or alias, or undefined when it is neither. */
export function resolveStrategyName(name: string): StrategyName | undefined {
  if (isStrategyName(name)) return name;
  return Object.hasOwn(STRATEGY_ALIASES, name) ? STRATEGY_ALIASES[name as keyof typeof STRATEGY_ALIASES] : undefined;
}

/** A fresh strategy instance (each listener needs its own state). Throws on an unknown name. */
export function createStrategy(name: string): Strategy {
  const canonical = resolveStrategyName(name);
  if (canonical === undefined) {
    const aliases = Object.entries(STRATEGY_ALIASES)
      .map(([alias, target]) => `${alias} = ${target}`)
      .join(', ');
    throw new Error(
      `Unknown balancer strategy ${JSON.stringify(name)}. Valid strategies: ${STRATEGY_NAMES.join(', ')} (aliases: ${aliases}).`,
    );
  }
  return FACTORIES[canonical]();
}
