// All of one app's shared listeners, by key. The socket stays bound while the
// app runs, also when no worker is listening (between a crash and its
// replacement), so clients queue instead of being refused.
import type { ChildProcess } from 'node:child_process';
import { listenKey, type BoundAddress, type ListenAddress } from '../protocol/messages.js';
import { BalancedPort, type PortHooks, type StickyKeys } from './balanced-port.js';
import { parseStickyKeySpec } from './sticky-key.js';
import { StickyTable } from './sticky-table.js';
import type { Strategy } from './strategy.js';

const REBALANCE_EVERY_MS = 1000;
/** A newcomer gets its share right after it joins (replacement, scale-up, reload). */
const REBALANCE_AFTER_JOIN_MS = 50;

export class PortRegistry {
  private readonly listeners = new Map<string, BalancedPort>();
  private readonly opening = new Map<string, Promise<BalancedPort>>();

  private readonly rebalanceTimer: NodeJS.Timeout;

  /** Session keys → workers, shared by every listener of the app (a worker's claim names no port). */
  private readonly stickyTable = new StickyTable();
  private stickyText: string | undefined;
  private stickyKeys: StickyKeys | undefined;

  constructor(
    private createStrategy: () => Strategy,
    private readonly hooks: PortHooks,
    /** The stickyKey option as it is now (a reload may change it). */
    private readonly stickyKey: () => string | undefined = () => undefined,
  ) {
    this.rebalanceTimer = setInterval(() => this.rebalance(), REBALANCE_EVERY_MS);
    this.rebalanceTimer.unref();
  }

  /** Every listener (and every one opened later) switches strategy; members and their counts stay. */
  useStrategy(create: () => Strategy): void {
    this.createStrategy = create;
    for (const listener of this.listeners.values()) listener.useStrategy(create());
  }

  /** What the listeners read for stickiness, parsed once per option value (the schema validated it). */
  private sticky(): StickyKeys | undefined {
    const text = this.stickyKey();
    if (text !== this.stickyText) {
      this.stickyText = text;
      const spec = text === undefined ? undefined : parseStickyKeySpec(text);
      this.stickyKeys = spec && { spec, table: this.stickyTable };
    }
    return this.stickyKeys;
  }

  /** A worker says it owns a session key (claimStickyKey in drover/worker): later connections with it go there. */
  claim(key: string, wid: number): void {
    if (this.sticky()) this.stickyTable.set(key, wid);
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
        const fresh = new BalancedPort(key, this.createStrategy(), this.hooks, () => this.sticky());
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

  /** The worker exited and its channel was read to the end: hand-offs it never read go to others. */
  rescue(wid: number): number {
    let n = 0;
    for (const listener of this.listeners.values()) n += listener.rescue(wid);
    return n;
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
