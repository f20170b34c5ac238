// The hub's table of requests in flight between processes: which connection
// asked (the master's own requests have no route: their promises, in the hub's
// PendingRequests, are tagged with the receiver), under which seq, and which connection
// is to answer. A reply is forwarded by looking its seq up here. Routes whose
// requester has given up (its timeout passed, plus a grace) are swept once a
// second, so a receiver that never answers cannot grow the table.
import { monotonicMs } from '../platform/clock.js';

/** Requests without a timeout still release their route after this long. */
const MAX_ROUTE_AGE_MS = 3_600_000;
const ROUTE_GRACE_MS = 1_000;
const SEQ_LIMIT = 0x1_0000_0000;

/** A connection as the table sees it: the seqs of routes it started and of those it is to answer. */
export interface RouteEnd {
  readonly originRoutes: Set<number>;
  readonly targetRoutes: Set<number>;
}

export interface Route<C extends RouteEnd> {
  readonly origin: C;
  readonly originSeq: number;
  readonly target: C;
  readonly topic: string;
  readonly deadline: number;
}

export class RouteTable<C extends RouteEnd> {
  private readonly routes = new Map<number, Route<C>>();
  private lastSeq = 0;
  private sweeper: NodeJS.Timeout | undefined;

  get size(): number {
    return this.routes.size;
  }

  get(seq: number): Route<C> | undefined {
    return this.routes.get(seq);
  }

  /** The next free seq: u32, never 0, not in use here nor by `alsoTaken` (the master's own pending requests). */
  nextSeq(alsoTaken: (seq: number) => boolean): number {
    do {
      this.lastSeq = (this.lastSeq + 1) % SEQ_LIMIT;
    } while (this.lastSeq === 0 || this.routes.has(this.lastSeq) || alsoTaken(this.lastSeq));
    return this.lastSeq;
  }

  add(seq: number, origin: C, originSeq: number, target: C, topic: string, timeoutMs: number): number {
    const age = timeoutMs > 0 ? Math.min(timeoutMs, MAX_ROUTE_AGE_MS) : MAX_ROUTE_AGE_MS;
    this.routes.set(seq, { origin, originSeq, target, topic, deadline: monotonicMs() + age + ROUTE_GRACE_MS });
    origin.originRoutes.add(seq);
    target.targetRoutes.add(seq);
    if (!this.sweeper) {
      this.sweeper = setInterval(() => this.sweep(), 1_000);
      this.sweeper.unref();
    }
    return seq;
  }

  forget(seq: number, route: Route<C>): void {
    this.routes.delete(seq);
    route.origin.originRoutes.delete(seq);
    route.target.targetRoutes.delete(seq);
  }

  close(): void {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  private sweep(): void {
    const now = monotonicMs();
    for (const [seq, route] of this.routes) if (route.deadline <= now) this.forget(seq, route);
    if (this.routes.size === 0) this.close();
  }
}
