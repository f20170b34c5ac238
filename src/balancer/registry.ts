// All of one app's shared listeners, by key. The socket stays bound while the
// app runs, also when no worker is listening (between a crash and its
// replacement), so clients queue instead of being refused.
import type { ChildProcess } from 'node:child_process';
import { listenKey, type BoundAddress, type ListenAddress } from '../protocol/messages.js';
import { BalancedPort, type PortHooks } from './balanced-port.js';
import type { Strategy } from './strategy.js';

const REBALANCE_EVERY_MS = 1000;
/** A newcomer gets its share right after it joins (replacement, scale-up, reload). */
const REBALANCE_AFTER_JOIN_MS = 50;

export class PortRegistry {
  private readonly listeners = new Map<string, BalancedPort>();
  private readonly opening = new Map<string, Promise<BalancedPort>>();

  private readonly rebalanceTimer: NodeJS.Timeout;

  constructor(
    private createStrategy: () => Strategy,
    private readonly hooks: PortHooks,
  ) {
    this.rebalanceTimer = setInterval(() => this.rebalance(), REBALANCE_EVERY_MS);
    this.rebalanceTimer.unref();
  }

  /** Every listener (and every one opened later) switches strategy; members and their counts stay. */
  useStrategy(create: () => Strategy): void {
    this.createStrategy = create;
    for (const listener of this.listeners.values()) listener.useStrategy(create());
  }

  rebalance(): void {
    for (const listener of this.listeners.values()) listener.rebalance();
  }

  /** A worker's cumulative counts on `key` (connections received, closed). */
  report(key: string, wid: number, got: number, closed: number): void {
    this.listeners.get(key)?.report(wid, got, closed);
  }

  /** Connections a worker holds now, summed over listeners (handed minus reported closed). */
  openConnections(wid: number): number {
    let n = 0;
    for (const l of this.listeners.values()) n += l.connectionsOf(wid);
    return n;
  }

  /** Binds (once per key) and returns the bound address; the worker joins only via join(). */
  async bind(address: ListenAddress): Promise<{ key: string; address: BoundAddress }> {
    const key = listenKey(address);
    let listener = this.listeners.get(key);
    if (!listener) {
      let opening = this.opening.get(key);
      if (!opening) {
        const fresh = new BalancedPort(key, this.createStrategy(), this.hooks);
        opening = fresh.open(address).then(() => fresh);
        this.opening.set(key, opening);
      }
      try {
        listener = await opening;
        this.listeners.set(key, listener);
      } finally {
        this.opening.delete(key);
      }
    }
    return { key, address: listener.bound! };
  }

  private readonly boundBy = new Map<number, Map<string, ChildProcess>>();

  /** Which keys a worker listens on, so a spare can join them when promoted. */
  remember(key: string, wid: number, child: ChildProcess): void {
    let keys = this.boundBy.get(wid);
    if (!keys) this.boundBy.set(wid, (keys = new Map()));
    keys.set(key, child);
  }

  promote(wid: number, weight = 1): void {
    for (const [key, child] of this.boundBy.get(wid) ?? []) this.join(key, wid, child, weight);
  }

  setLoad(wid: number, elu: number): void {
    for (const listener of this.listeners.values()) listener.setLoad(wid, elu);
  }

  join(key: string, wid: number, child: ChildProcess, weight = 1): void {
    const listener = this.listeners.get(key);
    if (!listener || listener.members.has(wid)) return;
    listener.add(wid, child, weight);
    setTimeout(() => listener.rebalance(), REBALANCE_AFTER_JOIN_MS).unref();
  }

  leave(key: string, wid: number): void {
    this.listeners.get(key)?.remove(wid);
    this.boundBy.get(wid)?.delete(key);
  }

  /** Out of every balancer at once: no connection is handed to a dead or draining worker. */
  removeWorker(wid: number): void {
    for (const listener of this.listeners.values()) listener.remove(wid);
  }

  /** The worker is gone for good. */
  forget(wid: number): void {
    for (const listener of this.listeners.values()) listener.forget(wid);
    this.boundBy.delete(wid);
  }

  redistribute(key: string, handle: Parameters<BalancedPort['distribute']>[0], fromWid: number): boolean {
    const listener = this.listeners.get(key);
    if (!listener) return false;
    listener.distribute(handle, fromWid);
    return true;
  }

  addresses(): BoundAddress[] {
    return [...this.listeners.values()].map((l) => l.bound!).filter(Boolean);
  }

  /** Connections handed to each worker so far, summed over listeners. */
  handedTo(wid: number): number {
    let n = 0;
    for (const l of this.listeners.values()) n += l.handed.get(wid) ?? 0;
    return n;
  }

  async closeAll(): Promise<void> {
    clearInterval(this.rebalanceTimer);
    const all = [...this.listeners.values()];
    this.listeners.clear();
    await Promise.all(all.map((l) => l.close()));
  }
}
