// The balancer strategy contract. A strategy only chooses: the listener
// (balanced-port.ts) owns sockets, membership and hand-off. Strategies are small,
// synchronous and allocation-free on pick(): it runs once per accepted connection.
import type { StrategyName } from '../core/enums.js';

/** What the listener knows of one worker that may receive connections. */
export interface Member {
  readonly id: number;
  /** Connections handed to the worker and not yet reported closed. */
  connections: number;
  /** Event-loop utilisation 0..1 from the latest heartbeat (0 until reported). */
  elu: number;
  /** Relative weight for weighted strategies (default 1). */
  weight: number;
  /**
   * Hand-offs the worker has not yet reported as received (in flight on its
   * channel). A worker whose event loop is busy lets these pile up; the
   * listener stops at MAX_IN_FLIGHT and hands connections to another one.
   */
  queued: number;
  /**
   * With queued > 0: since when (monotonicMs() of the master, platform/clock.ts) the worker
   * has had hand-offs waiting and sent no report. Any report shows its event
   * loop ran, so it restarts the clock (strategies/stalled.ts).
   */
  quietSince: number;
  /**
   * Since when (monotonicMs() of the master, platform/clock.ts) the worker has held
   * connections without a report: set by each report and by a hand-off to a
   * member that held none. A worker whose event loop runs reports each change
   * within a few ms; one that holds connections and has said nothing for a
   * while is likelier stuck in one of them (strategies/stalled.ts).
   */
  silentSince: number;
}

export interface PickContext {
  /** The client's address; only filled when the strategy sets needsAddress. */
  readonly remoteAddress: string | undefined;
}

/**
 * What the listener does when a worker holds more than its share of keep-alive
 * connections: nothing (sticky clients must stay put), shed the surplus (a
 * strategy that steers reconnects to the idlest), or twice the surplus (one that
 * rotates blindly: half of the reconnects come back to the same worker).
 */
export type Rebalance = false | 'surplus' | 'double';

export interface Strategy {
  readonly name: StrategyName;
  /** When true the listener reads the peer address of each connection before pick(). */
  readonly needsAddress: boolean;
  readonly rebalance: Rebalance;
  add(member: Member): void;
  remove(id: number): void;
  /** The id of the member for this connection, or undefined when there is none. */
  pick(ctx: PickContext): number | undefined;
}
