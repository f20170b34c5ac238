// Who may talk to the hub: a random token per process the supervisor starts
// (in its environment), one connection per token at a time, and the
// connections still waiting to say hello. Also the grace for a process that
// has started but not connected yet: calls to it wait (CONNECT_GRACE_MS after
// its start at most) instead of failing with "no route".
import { randomBytes } from '../platform/random.js';
import { monotonicMs } from '../platform/clock.js';
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
 * Workers connect on their first messaging call, often while they boot: a
 * send/request to a worker that has started and not connected yet waits for
 * it instead of failing with "no route", until it is ready (however long its
 * boot takes: a big app, Node 24 under load) and CONNECT_GRACE_MS after that,
 * bounded by the caller's own timeout. One that exits first fails them at once.
 */
export const CONNECT_GRACE_MS = 3_000;
/** Calls that may wait for one address to connect (the master's sends and requests, paused senders); beyond: OVERFLOW. */
export const MAX_WAITING_PER_ADDRESS = 10_000;

export class HubAuth {
  private readonly registrations = new Map<string, Registration>();
  private readonly tokenByWid = new Map<number, string>();
  /** Connections that have not said hello yet, oldest first. */
  readonly unauthenticated = new Set<Conn>();
  /** When a process for an address last exited without having connected (for the error of the calls that waited for it). */
  private readonly exitedUnconnected = new Map<number, number>();
  /** Calls waiting for a just-started worker (or agent) to connect, by address. */
  private readonly connectWaiters = new Map<number, Set<() => void>>();

  /** A process about to start: its token (a previous one of the same wid stops working). */
  register(wid: number, slot: number, role: Role): string {
    const old = this.tokenByWid.get(wid);
    if (old) this.registrations.delete(old);
    const token = randomBytes(24).toString('base64url');
    this.registrations.set(token, { wid, slot, role, token, registeredAt: monotonicMs(), readyAt: undefined });
    this.tokenByWid.set(wid, token);
    return token;
  }

  /** The process exited: its token stops working, and calls waiting for it to connect look again (and fail, unless another is starting). */
  forget(wid: number, connected: boolean): void {
    const token = this.tokenByWid.get(wid);
    const reg = token === undefined ? undefined : this.registrations.get(token);
    if (token) this.registrations.delete(token);
    this.tokenByWid.delete(wid);
    if (!reg) return;
    // One entry per address (slots and the agent), so bounded by the app's size.
    if (!connected) this.exitedUnconnected.set(addressOf(reg), monotonicMs());
    this.wake(addressOf(reg));
  }

  /** A process for addr exited without connecting at or after `since` (monotonicMs()). */
  exitedUnconnectedSince(addr: number, since: number): boolean {
    return (this.exitedUnconnected.get(addr) ?? -Infinity) >= since;
  }

  /** The supervisor saw the process ready: its connect grace starts now; waiting calls look again. */
  ready(wid: number): void {
    const reg = this.byWid(wid);
    if (!reg || reg.readyAt !== undefined) return;
    reg.readyAt = monotonicMs();
    this.wake(addressOf(reg));
  }

  byToken(token: string): Registration | undefined {
    return this.registrations.get(token);
  }

  byWid(wid: number): Registration | undefined {
    const token = this.tokenByWid.get(wid);
    return token === undefined ? undefined : this.registrations.get(token);
  }

  /**
   * How long a process started for addr may still take to connect: Infinity
   * while one that has not connected is still booting (not ready), else ms
   * left of CONNECT_GRACE_MS after the newest one became ready (0 when none is
   * starting).
   */
  startingFor(addr: number, isConnected: (wid: number) => boolean): number {
    let latest = -Infinity;
    for (const r of this.registrations.values()) {
      if (addressOf(r) !== addr || isConnected(r.wid)) continue;
      if (r.readyAt === undefined) return Infinity;
      latest = Math.max(latest, r.readyAt);
    }
    return Math.max(0, latest + CONNECT_GRACE_MS - monotonicMs());
  }

  /**
   * Calls fn once addr connects, a process for it becomes ready or exits, or
   * after waitMs (finite): the caller looks again. False (fn never called)
   * when MAX_WAITING_PER_ADDRESS calls wait for addr already.
   */
  onConnectOrTimeout(addr: number, waitMs: number, fn: () => void): boolean {
    let set = this.connectWaiters.get(addr);
    if (!set) this.connectWaiters.set(addr, (set = new Set()));
    else if (set.size >= MAX_WAITING_PER_ADDRESS) return false;
    const done = () => {
      clearTimeout(timer);
      set!.delete(done);
      if (set!.size === 0 && this.connectWaiters.get(addr) === set) this.connectWaiters.delete(addr);
      fn();
    };
    const timer = setTimeout(done, Math.max(1, Math.min(waitMs, 2 ** 31 - 1)));
    timer.unref();
    set.add(done);
    return true;
  }

  /** addr has connected: whatever waited for it goes on. */
  connectedAt(addr: number): void {
    this.wake(addr);
  }

  private wake(addr: number): void {
    const waiters = this.connectWaiters.get(addr);
    if (!waiters) return;
    this.connectWaiters.delete(addr);
    for (const fn of [...waiters]) fn();
  }

  /** The hub closes: nothing waits any more. */
  releaseAll(): void {
    for (const addr of [...this.connectWaiters.keys()]) this.wake(addr);
  }
}

function addressOf(r: Registration): number {
  return r.role === 'agent' ? ADDR_AGENT : r.slot;
}
