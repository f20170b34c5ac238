// The hub's directory of authenticated connections: by process (wid), by
// address (a worker id's slot, the agent), and by subscribed topic. During a
// replacement two processes share a slot; the newest connected one is the
// slot's address.
import { ADDR_AGENT } from './envelope.js';
import type { Conn } from './hub-conn.js';

export const MAX_TOPICS_PER_CONNECTION = 10_000;

export class ConnTable {
  private readonly byWid = new Map<number, Conn>();
  /** Connections per worker id, newest last: a replacement shares its slot with the worker it replaces. */
  private readonly bySlot = new Map<number, Conn[]>();
  private agents: Conn[] = [];
  private readonly byTopic = new Map<string, Set<Conn>>();

  hasWid(wid: number): boolean {
    return this.byWid.has(wid);
  }

  ofWid(wid: number): Conn | undefined {
    return this.byWid.get(wid);
  }

  /** An authenticated connection (c.reg set) becomes reachable at its address. */
  attach(c: Conn): void {
    const reg = c.reg!;
    this.byWid.set(reg.wid, c);
    if (reg.role === 'agent') {
      this.agents.push(c);
    } else {
      const list = this.bySlot.get(reg.slot);
      if (list) list.push(c);
      else this.bySlot.set(reg.slot, [c]);
    }
  }

  /** Forgets c everywhere, its subscriptions included. */
  detach(c: Conn): void {
    const reg = c.reg;
    if (reg) {
      if (this.byWid.get(reg.wid) === c) this.byWid.delete(reg.wid);
      if (reg.role === 'agent') {
        this.agents = this.agents.filter((x) => x !== c);
      } else {
        const list = this.bySlot.get(reg.slot)?.filter((x) => x !== c);
        if (list && list.length > 0) this.bySlot.set(reg.slot, list);
        else this.bySlot.delete(reg.slot);
      }
    }
    for (const topic of c.subs) this.unsubscribe(c, topic);
  }

  /** The connection of a worker id or the agent, if connected. */
  target(addr: number): Conn | undefined {
    if (addr >= 0) {
      const list = this.bySlot.get(addr);
      return list ? list[list.length - 1] : undefined;
    }
    if (addr === ADDR_AGENT) return this.agents[this.agents.length - 1];
    return undefined;
  }

  subscribers(topic: string): ReadonlySet<Conn> | undefined {
    return this.byTopic.get(topic);
  }

  /** False when c is at MAX_TOPICS_PER_CONNECTION already (a violation). */
  subscribe(c: Conn, topic: string): boolean {
    if (c.subs.has(topic)) return true;
    if (c.subs.size >= MAX_TOPICS_PER_CONNECTION) return false;
    c.subs.add(topic);
    let set = this.byTopic.get(topic);
    if (!set) this.byTopic.set(topic, (set = new Set()));
    set.add(c);
    return true;
  }

  unsubscribe(c: Conn, topic: string): void {
    c.subs.delete(topic);
    const set = this.byTopic.get(topic);
    if (!set) return;
    set.delete(c);
    if (set.size === 0) this.byTopic.delete(topic);
  }
}
