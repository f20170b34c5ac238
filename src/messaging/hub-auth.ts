// Who may talk to the hub: a random token per process the supervisor starts
// (in its environment), one connection per token at a time, and the
// connections still waiting to say hello. Also the grace for a process that
// has started but not connected yet: calls to it wait (CONNECT_GRACE_MS after
// its start at most) instead of failing with "no route".
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { ADDR_AGENT } from './envelope.js';
import type { Conn, Registration, Role } from './hub-conn.js';

// When 64 connections wait for their hello, the oldest is closed to make room:
// idle connections (anyone of the same uid can open them) cannot lock workers
// out of messaging (issue 15). A connection without a hello in time is closed
// without a fatal frame: a legitimate one was only slowed by a busy master, and
// its client connects again and resends (hub-client.ts, pre-welcome.ts).
export const AUTH_TIMEOUT_MS = 5_000;
export const MAX_UNAUTHENTICATED = 64;
/**
 * Workers connect on their first messaging call, a moment after they start:
 * a send/request to a worker started this recently, and not connected yet,
 * waits for it instead of failing with "no route".
 */
export const CONNECT_GRACE_MS = 3_000;

export class HubAuth {
  private readonly registrations = new Map<string, Registration>();
  private readonly tokenByWid = new Map<number, string>();
  /** Connections that have not said hello yet, oldest first. */
  readonly unauthenticated = new Set<Conn>();
  /** Calls waiting for a just-started worker (or agent) to connect, by address. */
  private readonly connectWaiters = new Map<number, Set<() => void>>();

  /** A process about to start: its token (a previous one of the same wid stops working). */
  register(wid: number, slot: number, role: Role): string {
    const old = this.tokenByWid.get(wid);
    if (old) this.registrations.delete(old);
    const token = randomBytes(24).toString('base64url');
    this.registrations.set(token, { wid, slot, role, token, registeredAt: performance.now() });
    this.tokenByWid.set(wid, token);
    return token;
  }

  /** The process exited: its token stops working. */
  forget(wid: number): void {
    const token = this.tokenByWid.get(wid);
    if (token) this.registrations.delete(token);
    this.tokenByWid.delete(wid);
  }

  byToken(token: string): Registration | undefined {
    return this.registrations.get(token);
  }

  byWid(wid: number): Registration | undefined {
    const token = this.tokenByWid.get(wid);
    return token === undefined ? undefined : this.registrations.get(token);
  }

  /**
   * How long a process started for addr may still take to connect: ms left of
   * CONNECT_GRACE_MS after the start of the newest one that has not connected
   * yet (0 when none is starting).
   */
  startingFor(addr: number, isConnected: (wid: number) => boolean): number {
    let latest = -Infinity;
    for (const r of this.registrations.values()) {
      if ((addr === ADDR_AGENT ? r.role === 'agent' : r.role === 'worker' && r.slot === addr) && !isConnected(r.wid)) {
        latest = Math.max(latest, r.registeredAt);
      }
    }
    return Math.max(0, latest + CONNECT_GRACE_MS - performance.now());
  }

  /** Calls fn once addr connects, or after waitMs. */
  onConnectOrTimeout(addr: number, waitMs: number, fn: () => void): void {
    let set = this.connectWaiters.get(addr);
    if (!set) this.connectWaiters.set(addr, (set = new Set()));
    const done = () => {
      clearTimeout(timer);
      set!.delete(done);
      fn();
    };
    const timer = setTimeout(done, waitMs);
    timer.unref();
    set.add(done);
  }

  /** addr has connected: whatever waited for it goes on. */
  connectedAt(addr: number): void {
    const waiters = this.connectWaiters.get(addr);
    if (!waiters) return;
    this.connectWaiters.delete(addr);
    for (const fn of waiters) fn();
  }

  /** The hub closes: nothing waits any more. */
  releaseAll(): void {
    for (const waiters of this.connectWaiters.values()) for (const fn of waiters) fn();
  }
}
