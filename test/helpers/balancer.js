// @ts-check
// Fake members for the balancer strategies' unit tests, typed against the
// strategy contract (src/balancer/strategy.ts).

/** @typedef {import('../../dist/balancer/strategy.js').Member} Member */
/** @typedef {import('../../dist/balancer/strategy.js').Strategy} Strategy */

/**
 * A member as the listener adds it: no connections, no load, weight 1, then `fields`.
 * @param {number} id
 * @param {Partial<Omit<Member, 'id'>>} [fields]
 * @returns {Member}
 */
export function member(id, fields = {}) {
  return { id, connections: 0, elu: 0, weight: 1, queued: 0, quietSince: 0, silentSince: 0, ...fields };
}
