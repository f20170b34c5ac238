// The app master's side of a worker's listen(): where the port is bound and how
// the worker gets connections, by balance mode. Master-balanced: one listener
// per key (balancer/), the worker joins it when the core says it is in the
// balancer. kernel: one bound handle shared with every worker. reuseport: each
// worker binds its own socket; the broker only fixes the port of a listen(0).
// The mode is fixed for the app master's life (core/reload-plan.ts refuses a
// reload that would change it); the strategy can be switched.
import type { ChildProcess } from 'node:child_process';
import net from 'node:net';
import { PortRegistry } from '../balancer/registry.js';
import { SharedHandles } from '../balancer/shared-handle.js';
import { createStrategy } from '../balancer/strategies/index.js';
import { isKernelMode, type Balance, type StrategyName } from '../core/enums.js';
import type { Event } from '../core/types.js';
import { listenKey, type BoundAddress, type ListenAddress, type MasterToWorker, type WorkerToMaster } from '../protocol/messages.js';
import type { Logger } from './logger.js';
import { migrateAdvice } from '../balancer/reuseport-migrate.js';
import { UdpShares } from './udp-shares.js';
import { masterCanBindReusePort, ReusePortSlots } from './reuseport-slots.js';

type ListenRequest = Extract<WorkerToMaster, { kind: 'listen' }>;

export interface BrokerContext {
  readonly balance: () => Balance;
  /** The stickyKey option (cookie:/header:/query:<name>), read per connection: a reload may change it. */
  readonly stickyKey?: () => string | undefined;
  readonly send: (child: ChildProcess, message: MasterToWorker, handle?: unknown) => void;
  readonly enqueue: (event: Event) => void;
  /** The core's rule (core/step.ts inBalancer): does this worker get connections now? */
  readonly inBalancer: (wid: number) => boolean;
  readonly weightOf: (wid: number) => number;
  /** The worker's slot: a reload's replacement has its predecessor's (reuseport sockets are per slot). */
  readonly slotOf: (wid: number) => number | undefined;
  readonly log: Logger | undefined;
}

export function formatAddress(a: BoundAddress): string {
  if (a.type === 'pipe') return a.path;
  return a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}

export class ListenBroker {
  readonly registry: PortRegistry;
  /** kernel only: the listening handles shared with workers. */
  private readonly shared: SharedHandles | undefined;
  /** Open connections per worker as the worker itself reports them (kernel modes). */
  private readonly reportedConnections = new Map<number, number>();
  /** reuseport: addresses workers bound themselves, by key. */
  private readonly selfBound = new Map<string, BoundAddress>();
  /**
   * reuseport: the port of each key once its first worker bound it. listen(0)
   * must give every worker the same port, so later workers wait for the first.
   */
  private readonly reusePorts = new Map<string, { port: Promise<number>; resolve: (port: number) => void }>();
  private strategy: StrategyName;
  private readonly udp = new UdpShares();
  /** reuseport, where the master's Node can bind such sockets: one per slot, handed to workers (reuseport-slots.ts). */
  private readonly slots: ReusePortSlots | undefined;

  constructor(private readonly ctx: BrokerContext) {
    const balance = ctx.balance();
    this.strategy = isKernelMode(balance) ? 'round-robin' : balance;
    this.registry = new PortRegistry(() => createStrategy(this.strategy), {
      onDrop: (key, reason) => ctx.log?.warn({ event: 'drop', key, reason }, `connection dropped on ${key}: ${reason}`),
      onShed: (wid, key, n) => this.shed(wid, key, n),
    }, ctx.stickyKey);
    this.shared = balance === 'kernel' ? new SharedHandles() : undefined;
    this.slots = balance === 'reuseport' && masterCanBindReusePort() ? new ReusePortSlots() : undefined;
  }

  /** The worker exited: the reuseport slot sockets only it held are closed. */
  released(wid: number): void {
    this.slots?.release(wid);
  }

  /** Set by the supervisor: the live child of a worker id, for rebalancing requests. */
  childOf: (wid: number) => ChildProcess | undefined = () => undefined;

  private shed(wid: number, key: string, n: number): void {
    const child = this.childOf(wid);
    if (child?.connected) this.ctx.send(child, { kind: 'shed', key, n });
    this.ctx.log?.debug({ event: 'rebalance', wid, key, n }, `asking worker ${wid} to close ${n} keep-alive connections`);
  }

  /** A reload switched the strategy: every master listener takes it, with its members. */
  useStrategy(name: StrategyName): void {
    this.strategy = name;
    this.registry.useStrategy(() => createStrategy(name));
  }

  connections(wid: number): number {
    return isKernelMode(this.ctx.balance()) ? (this.reportedConnections.get(wid) ?? 0) : this.registry.openConnections(wid);
  }

  /** A heartbeat reply: event-loop load for least-loaded, connections for kernel modes. */
  stats(wid: number, elu: number, connections: number): void {
    this.registry.setLoad(wid, elu);
    this.reportedConnections.set(wid, connections);
  }

  addresses(): BoundAddress[] {
    return [...this.registry.addresses(), ...(this.shared?.addresses() ?? []), ...(this.slots?.addresses() ?? []), ...this.selfBound.values()];
  }

  /** reuseport: a worker bound its own socket. */
  bound(wid: number, key: string, address: BoundAddress): void {
    this.selfBound.set(key, address);
    if (address.type === 'tcp') this.reusePorts.get(key)?.resolve(address.port);
    this.ctx.enqueue({ type: 'listening', wid, address: formatAddress(address) });
  }

  listen(wid: number, child: ChildProcess, m: ListenRequest): void {
    const slot = this.ctx.slotOf(wid);
    if (this.slots && m.address.type === 'tcp' && slot !== undefined) {
      if (this.slots.addresses().length === 0) this.adviseMigrate();
      const slots = this.slots;
      const address = m.address;
      return this.sendHandle(wid, child, m, () => slots.bind(address, slot, wid));
    }
    if (this.ctx.balance() === 'reuseport' && m.address.type === 'tcp') return this.fixPort(child, m.seq, m.address);
    const shared = this.shared;
    if (shared) return this.sendHandle(wid, child, m, () => shared.bind(m.address));
    this.registry.bind(m.address).then(
      ({ key, address }) => {
        if (!child.connected) return;
        this.ctx.send(child, { kind: 'listen-ok', ack: m.seq, key, address, mode: 'faux' });
        // A spare listens too, but joins the balancer only when the core promotes it (a `join` effect).
        this.registry.remember(key, wid, child);
        if (this.ctx.inBalancer(wid)) this.registry.join(key, wid, child, this.ctx.weightOf(wid));
        this.ctx.enqueue({ type: 'listening', wid, address: formatAddress(address) });
      },
      (err: NodeJS.ErrnoException) => this.failed(wid, child, m, err),
    );
  }

  /** A socket the master binds (kernel mode's one, a reuseport slot's) goes to the worker as a handle. */
  private sendHandle(wid: number, child: ChildProcess, m: ListenRequest, bind: () => { key: string; address: BoundAddress; handle: object }): void {
    let bound;
    try {
      bound = bind();
    } catch (err) {
      return this.failed(wid, child, m, err as NodeJS.ErrnoException);
    }
    this.ctx.send(child, { kind: 'listen-ok', ack: m.seq, key: bound.key, address: bound.address, mode: 'handle' }, bound.handle);
    this.ctx.enqueue({ type: 'listening', wid, address: formatAddress(bound.address) });
  }

  /** The worker closed its server on `key`: out of that balancer, then the answer its close waits for (worker/close-barrier.ts). */
  unlisten(wid: number, child: ChildProcess, key: string): void {
    this.registry.leave(key, wid);
    this.slots?.release(wid, key);
    if (child.connected) this.ctx.send(child, { kind: 'unlisten-ok', key });
  }

  /** A dgram socket's bind() in a worker: every balance mode shares UDP the kernel's way (runtime/udp-shares.ts). */
  udpBind(wid: number, child: ChildProcess, m: Extract<WorkerToMaster, { kind: 'udp-bind' }>): void {
    this.udp.bind(m.address).then(
      ({ address, handle }) => {
        if (!child.connected) return;
        this.ctx.send(child, { kind: 'udp-ok', ack: m.seq, address }, handle);
        this.ctx.enqueue({ type: 'listening', wid, address: `udp ${formatAddress(address)}` });
      },
      (err: NodeJS.ErrnoException) => {
        const where = `udp ${m.address.host ?? '*'}:${m.address.port}`;
        const inUse = err.code === 'EADDRINUSE';
        this.ctx.send(child, { kind: 'udp-error', ack: m.seq, code: err.code ?? 'EINVAL', message: err.message });
        const message = inUse ? `${where} is already in use by another process: stop it, or give the app another port` : `could not bind ${where}: ${err.message}`;
        this.ctx.enqueue({ type: 'listen-failed', wid, code: inUse ? 'DROVER_E_PORT_IN_USE' : 'DROVER_E_LISTEN_FAILED', message });
      },
    );
  }

  private fixPort(child: ChildProcess, seq: number, address: Extract<ListenAddress, { type: 'tcp' }>): void {
    const key = listenKey(address);
    const host = address.host ?? '::';
    const reply = (port: number) =>
      this.ctx.send(child, { kind: 'listen-ok', ack: seq, key, mode: 'own', address: { type: 'tcp', address: host, family: net.isIPv4(host) ? 'IPv4' : 'IPv6', port } });
    const known = this.reusePorts.get(key);
    if (known) return void known.port.then(reply);
    if (this.reusePorts.size === 0) this.adviseMigrate();
    let resolve: (port: number) => void = () => {};
    const port = address.port !== 0 ? Promise.resolve(address.port) : new Promise<number>((r) => (resolve = r));
    this.reusePorts.set(key, { port, resolve });
    reply(address.port);
  }

  private advised = false;

  private adviseMigrate(): void {
    if (this.advised) return;
    this.advised = true;
    const advice = migrateAdvice(this.slots !== undefined);
    if (advice) this.ctx.log?.info({ event: 'reuseport-migrate', sysctl: 'net.ipv4.tcp_migrate_req' }, advice);
  }

  private failed(wid: number, child: ChildProcess, m: ListenRequest, err: NodeJS.ErrnoException): void {
    const inUse = err.code === 'EADDRINUSE';
    const where = m.address.type === 'pipe' ? m.address.path : `${m.address.host ?? '*'}:${m.address.port}`;
    const message = inUse
      ? `${where} is already in use by another process: stop it, or give the app another port (e.g. PORT=...)`
      : `could not listen on ${where}: ${err.message}`;
    this.ctx.send(child, { kind: 'listen-error', ack: m.seq, code: err.code ?? 'EINVAL', message: err.message, syscall: 'listen' });
    this.ctx.enqueue({ type: 'listen-failed', wid, code: inUse ? 'DROVER_E_PORT_IN_USE' : 'DROVER_E_LISTEN_FAILED', message });
  }

  async closeAll(): Promise<void> {
    await this.registry.closeAll();
    this.shared?.closeAll();
    this.slots?.closeAll();
    this.udp.closeAll();
  }
}
