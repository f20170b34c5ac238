// The master's side of the shared state store: answers the clients' requests
// (workers and the agent over the message hub, the master's own client in
// process), keeps the table every read is served from, and pushes changes to
// each watching process in rev order.
//
// Memory stays bounded: every watching process has its own queue of events,
// sent one batch at a time; a process that does not keep up (its hub queue is
// full, so the batch does not leave) gets no more than subscriberEvents /
// subscriberBytes queued: beyond that its queue is dropped and it gets a
// `reset` with a snapshot of its keys once it reads again. History for
// watchers that come back with sinceRev is bounded the same way.
import { DroverError, type ErrorCode } from '../errors.js';
import type { Backend, Loaded, Persistence, WriteOp, WriteOutcome } from './backend.js';
import { FairCas } from './fair-cas.js';
import { STATE_LIMITS } from './types.js';
import { checkKey, checkPattern, checkValueSize, matches } from './value.js';
import { WatchTable } from './watch-table.js';
import { History, revOf } from './history.js';
import { bareSetReply, entryJson, parseRequest, type Change, type Request, type Stored } from './wire.js';

/** Pushes a batch to one process: undefined when it was written at once, else a promise of when it was (or why not). */
export type Deliver = (batch: string) => Promise<void> | undefined;

/** Entries per reset page, and events per message: well under the hub's message limit (16 MiB) with a 1 MiB value. */
const PAGE_BYTES = 4 * 1024 * 1024;
const BATCH_BYTES = 8 * 1024 * 1024;

interface Sub {
  readonly key: string;
  readonly session: string;
  readonly deliver: Deliver;
  /** Its watches by id; changed through the WatchTable only. */
  readonly patterns: ReadonlyMap<number, string>;
  queue: string[];
  queuedBytes: number;
  sending: boolean;
  /** In the list of watchers to flush at the end of this turn (StateServer.later). */
  dirty: boolean;
  needsReset: boolean;
  retry: NodeJS.Timeout | undefined;
}

/** A write as a client asked for it: bare, its success is answered without the value (wire.ts, flag n). */
type LocalOp = WriteOp & { readonly bare?: boolean };

export interface ServerLog {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export class StateServer {
  private readonly cache = new Map<string, Stored>();
  /** remote: keys deleted at a rev the feed has not reached yet (a late older put must not bring them back). */
  private readonly tombstones = new Map<string, number>();
  private rev = 0;
  private bytes = 0;
  readonly epoch = Date.now();
  private readonly epochDigits = String(this.epoch).length;
  private readonly history = new History(STATE_LIMITS.historyChanges, STATE_LIMITS.historyBytes);
  private readonly subs = new WatchTable<Sub>();
  private opened: Promise<void> | undefined;
  private readonly turns = new FairCas<LocalOp>((op) => this.attemptLocal(op));
  private failure: DroverError | undefined;
  private backendUp = true;
  private closed = false;
  /** For metrics: writes (set/delete) by result, and resets sent to watchers, since the master started. */
  private readonly counts = { ok: 0, conflict: 0, error: 0, resets: 0 };

  constructor(
    private readonly makeBackend: (live: () => Iterable<Stored>) => Backend | Promise<Backend>,
    private readonly log?: ServerLog,
  ) {}

  private backend: Backend | undefined;

  /**
   * Opened on first use: an app that never uses the store creates no file and
   * no connection. A failed open is tried again by the next request (Redis may
   * come up later); the requests in between get the error.
   */
  private open(): Promise<void> {
    this.opened ??= (async () => {
      try {
        const backend = await this.makeBackend(() => this.cache.values());
        const loaded =
          backend.kind === 'local'
            ? backend.load()
            : await backend.open({ change: (c) => this.applyFeed(c), flush: () => this.flushFeed(), reset: (s) => this.reset(s), status: (up) => this.setUp(up) });
        this.load(loaded);
        this.backend = backend;
        this.failure = undefined;
      } catch (err) {
        const failure = err instanceof DroverError ? err : new DroverError('DROVER_E_STATE_UNAVAILABLE', `the state store could not be opened: ${(err as Error).message}`);
        if (failure.message !== this.failure?.message) this.log?.error({ event: 'state-unavailable', err: failure.message }, failure.message);
        this.failure = failure;
        this.opened = undefined;
      }
    })();
    return this.opened;
  }

  private load(loaded: Loaded): void {
    this.cache.clear();
    this.bytes = 0;
    for (const e of loaded.entries) {
      this.cache.set(e.key, e);
      this.bytes += e.json.length + e.key.length;
    }
    this.rev = Math.max(this.rev, loaded.rev);
    this.history.floor = this.rev;
  }

  // ── requests ────────────────────────────────────────────────────────────

  /**
   * A request from a client (payload as it came off the wire); answers with a
   * reply, never throws. With a local backend that is open the reply is a
   * string, returned in the same tick (the hub writes it at once): no promise
   * per request on the write path. Otherwise a promise of one. inProcess: the
   * client is in this process (local-transport.ts: the master's own), so its
   * reply is not written to a socket, and its change's pushes need not wait
   * for one (push).
   */
  handle(payload: unknown, subKey: string, deliver: Deliver, inProcess = false): string | Promise<string> {
    let req: { header: Request; value: string | undefined };
    try {
      req = parseRequest(payload);
    } catch (err) {
      return errorReply('DROVER_E_STATE_VALUE', `malformed state request: ${(err as Error).message}`);
    }
    if (this.closed) return errorReply('DROVER_E_STATE_UNAVAILABLE', 'the state store is closed: the app is stopping');
    // A status (a metrics scrape) does not open the store: an app that never uses it gets no file.
    if (req.header.op === 'status' && this.backend === undefined) return this.statusReply();
    if (this.backend === undefined) return this.open().then(() => this.handleOpen(req, subKey, deliver, inProcess));
    return this.handleOpen(req, subKey, deliver, inProcess);
  }

  private handleOpen(req: { header: Request; value: string | undefined }, subKey: string, deliver: Deliver, inProcess: boolean): string | Promise<string> {
    if (this.closed) return errorReply('DROVER_E_STATE_UNAVAILABLE', 'the state store is closed: the app is stopping');
    if (this.backend === undefined) return errorReply(this.failure?.code ?? 'DROVER_E_STATE_UNAVAILABLE', this.failure?.message ?? 'the state store is not open');
    // Only for the synchronous part: a change made later (a turn of fair-cas.ts, the remote feed) is nobody's request's.
    this.inProcess = inProcess;
    try {
      const reply = this.dispatch(req.header, req.value, subKey, deliver);
      return typeof reply === 'string' ? reply : reply.catch((err: unknown) => this.failedOp(req.header, err));
    } catch (err) {
      return this.failedOp(req.header, err);
    } finally {
      this.inProcess = false;
    }
  }

  private failedOp(h: Request, err: unknown): string {
    if (h.op === 'set' || h.op === 'del') this.counts.error++;
    return this.failed(err);
  }

  private failed(err: unknown): string {
    if (err instanceof DroverError) return errorReply(err.code, err.message);
    this.log?.error({ event: 'state-error', err: (err as Error).stack }, `state request failed: ${(err as Error).message}`);
    return errorReply('DROVER_E_STATE_UNAVAILABLE', `the state store failed: ${(err as Error).message}`);
  }

  private dispatch(h: Request, value: string | undefined, subKey: string, deliver: Deliver): string | Promise<string> {
    switch (h.op) {
      case 'get': {
        const e = this.cache.get(checkKey(h.key));
        return `{"ok":1,"rev":${this.rev},"epoch":${this.epoch},"up":${this.backendUp},"e":${e ? entryJson(e, this.epoch) : 'null'}}`;
      }
      case 'set': {
        const key = checkKey(h.key);
        if (value === undefined) throw new DroverError('DROVER_E_STATE_VALUE', 'set: the request has no value');
        checkValueSize(value, key);
        try {
          JSON.parse(value);
        } catch {
          throw new DroverError('DROVER_E_STATE_VALUE', `set '${key.slice(0, 80)}': the value is not valid JSON`);
        }
        const bare = h.n === 1;
        const op: LocalOp = { type: 'put', key, json: value, ifVersion: version(h.if), bare };
        // update()'s compare-and-set attempts take turns on a contended key (fair-cas.ts); a plain set never waits.
        if (this.backend!.kind === 'local') {
          if (h.u === 1 && op.ifVersion !== undefined) return this.turns.attempt(key, subKey, op);
          return this.outcomeReply(this.writeLocal(op), key, bare);
        }
        return this.reply(this.write(op), key, bare);
      }
      case 'del': {
        const key = checkKey(h.key);
        return this.reply(this.write({ type: 'del', key, ifVersion: version(h.if) }), key);
      }
      case 'watch':
        return this.watch(subKey, deliver, h);
      case 'unwatch': {
        const sub = this.subs.get(subKey);
        if (sub && sub.session === h.s) this.subs.unwatch(sub, Number(h.id));
        return '{"ok":1}';
      }
      case 'list': {
        const p = h.p === undefined ? '*' : checkPattern(h.p);
        const es: string[] = [];
        for (const e of this.cache.values()) if (matches(p, e.key)) es.push(entryJson(e, this.epoch));
        return `{"ok":1,"rev":${this.rev},"epoch":${this.epoch},"es":[${es.join(',')}]}`;
      }
      case 'status':
        return this.statusReply();
      default:
        throw new DroverError('DROVER_E_STATE_VALUE', `unknown state operation ${JSON.stringify(String((h as { op: unknown }).op)).slice(0, 40)}`);
    }
  }

  private statusReply(): string {
    const c = this.counts;
    let watches = 0;
    for (const sub of this.subs.values()) watches += sub.patterns.size;
    return `{"ok":1,"rev":${this.rev},"epoch":${this.epoch},"up":${this.backendUp},"keys":${this.cache.size},"bytes":${this.bytes},"watches":${watches},"writes":{"ok":${c.ok},"conflict":${c.conflict},"error":${c.error}},"resets":${c.resets}}`;
  }

  /** bare: a put's success without the value (the writer sent it; wire.ts, flag n). */
  private outcomeReply(out: WriteOutcome, key: string, bare = false): string {
    this.counts[out.ok ? 'ok' : 'conflict']++;
    if (!out.ok) {
      const cur = out.current;
      return `{"ok":0,"code":"DROVER_E_STATE_CONFLICT","msg":${JSON.stringify(`'${key.slice(0, 80)}' is at version ${cur?.version ?? 0} (it ${cur ? 'was written' : 'does not exist'}): read it again and retry, or use update()`)},"e":${cur ? entryJson(cur, this.epoch) : 'null'}}`;
    }
    const c = out.change;
    if (c === undefined) return `{"ok":1,"existed":false,"rev":${this.rev}}`;
    if (c.type === 'del') return `{"ok":1,"existed":true,"rev":${c.rev}}`;
    return bare ? bareSetReply(c.entry.version, c.entry.rev, this.epoch) : `{"ok":1,"e":${this.entryText(c.entry)}}`;
  }

  /** One compare-and-set of update() (local backends): its reply, and whether it lost. */
  private attemptLocal(op: LocalOp): { reply: string; conflicted: boolean } {
    try {
      const out = this.writeLocal(op);
      return { reply: this.outcomeReply(out, op.key, op.bare), conflicted: !out.ok };
    } catch (err) {
      this.counts.error++;
      return { reply: this.failed(err), conflicted: false };
    }
  }

  private reply(out: WriteOutcome | Promise<WriteOutcome>, key: string, bare = false): string | Promise<string> {
    return out instanceof Promise ? out.then((o) => this.outcomeReply(o, key, bare)) : this.outcomeReply(out, key, bare);
  }

  private write(op: WriteOp): WriteOutcome | Promise<WriteOutcome> {
    const backend = this.backend!;
    if (backend.kind === 'remote') {
      if (!this.backendUp) throw unavailable('the state backend is unreachable');
      return backend.write(op, { maxKeys: STATE_LIMITS.maxKeys }).then((out) => {
        // The feed brings the change to every master (this one too), maybe after this reply. The next change
        // in rev order (nothing between it and what this master has seen) goes out to the watchers now, so
        // they need not wait for the feed's wake-up; the feed's copy is then skipped as already seen. A change
        // further ahead must wait for the feed (the ones before it come first): only the table has it now.
        if (out.ok && out.change) {
          const rev = out.change.type === 'put' ? out.change.entry.rev : out.change.rev;
          if (rev === this.rev + 1) this.applyFeed(out.change);
          else this.applyToTable(out.change);
        }
        return out;
      });
    }
    return this.writeLocal(op);
  }

  /** local backends: compare-and-set against the table, persist, fan out; synchronous. */
  private writeLocal(op: WriteOp): WriteOutcome {
    const cur = this.cache.get(op.key);
    if (op.ifVersion !== undefined && (cur?.version ?? 0) !== op.ifVersion) return { ok: false, current: cur };
    if (op.type === 'del' && !cur) return { ok: true, change: undefined };
    if (op.type === 'put') this.checkRoom(cur, op.key, op.json);
    const rev = this.rev + 1;
    // The table's own string of a key it holds: the request's copy dies young, not kept by the entry and the history.
    const key = cur !== undefined ? cur.key : op.key;
    const change: Change = op.type === 'put' ? { type: 'put', entry: { key, json: op.json, version: (cur?.version ?? 0) + 1, rev } } : { type: 'del', key, rev };
    try {
      (this.backend as Persistence).append(change);
    } catch (err) {
      throw unavailable(`the state log could not be written: ${(err as Error).message}`);
    }
    this.applyFeed(change);
    return { ok: true, change };
  }

  private checkRoom(cur: Stored | undefined, key: string, json: string): void {
    if (!cur && this.cache.size >= STATE_LIMITS.maxKeys) {
      throw new DroverError('DROVER_E_STATE_LIMIT', `the store holds ${this.cache.size} keys, its limit: delete keys you no longer need before adding '${key.slice(0, 80)}'`);
    }
    const next = this.bytes - (cur ? cur.json.length + key.length : 0) + json.length + key.length;
    if (next > STATE_LIMITS.maxStoreBytes) {
      throw new DroverError('DROVER_E_STATE_LIMIT', `the store would hold more than ${STATE_LIMITS.maxStoreBytes} bytes of values: delete keys you no longer need`);
    }
  }

  // ── changes ─────────────────────────────────────────────────────────────

  /** Into the table, if newer than what it has for the key. */
  private applyToTable(c: Change): void {
    const key = c.type === 'put' ? c.entry.key : c.key;
    const rev = c.type === 'put' ? c.entry.rev : c.rev;
    const cur = this.cache.get(key);
    if ((cur && cur.rev >= rev) || (this.tombstones.get(key) ?? 0) >= rev) return;
    if (cur) this.bytes -= cur.json.length + key.length;
    if (c.type === 'put') {
      this.cache.set(key, c.entry);
      this.bytes += c.entry.json.length + key.length;
      this.tombstones.delete(key);
    } else {
      this.cache.delete(key);
      if (rev > this.rev) this.tombstones.set(key, rev);
    }
  }

  /** A change in rev order (a local write, or the remote feed): table, history, watchers. */
  private applyFeed(c: Change): void {
    const rev = c.type === 'put' ? c.entry.rev : c.rev;
    if (rev <= this.rev) return;
    this.applyToTable(c);
    this.rev = rev;
    if (this.tombstones.size > 0) for (const [key, at] of this.tombstones) if (at <= rev) this.tombstones.delete(key);
    const key = c.type === 'put' ? c.entry.key : c.key;
    // The event's text is made once, and only if a watcher wants it; the history counts its size alike.
    let event: string | undefined;
    const subs = this.subs.of(key);
    if (subs.length > 0) {
      event = this.eventText(c);
      for (const sub of subs) this.enqueue(sub, event);
    }
    this.history.push(c, event?.length ?? eventBytes(c, this.epochDigits));
    if (subs.length > 0) this.push(subs);
  }

  /**
   * Watchers with new events are flushed at the end of this turn's
   * synchronous work (a microtask), not inside the write: the writer's reply
   * is made and written first (the hub writes a reply from its read loop and
   * flushes it at the next tick, before microtasks run), then the pushes, in
   * the same turn and in rev order. Changes made in one turn reach a watcher
   * as one batch. The remote feed flushes at once (RemoteFeed.flush): it has
   * no reply to go first, and the microtask queued here then finds nothing.
   *
   * A writer in this process (the master's own client) has no reply to write
   * first, and its continuation ran after that microtask anyway: the first
   * change it makes in a turn is pushed in the write, with no hop between the
   * log's write and the watchers' sockets (issue 12, the fan-out's tail: that
   * hop and the reply's work before it were ~30 µs of the master's ~0.3 ms
   * from the call to its first socket write, on the loaded bench machine). The
   * rest of that turn's changes still go as one batch, at the end of it.
   */
  private dirty: Sub[] = [];
  /** The other list, reused turn after turn: no array per change. */
  private spare: Sub[] = [];
  /** handle() is running a request from this process (set around dispatch only). */
  private inProcess = false;
  /** A change of this turn was pushed at once: the next ones of the turn are batched. */
  private pushedInTurn = false;
  private readonly endTurn = (): void => {
    this.pushedInTurn = false;
  };

  private push(subs: readonly Sub[]): void {
    if (!this.inProcess || this.pushedInTurn) {
      for (const sub of subs) this.later(sub);
      return;
    }
    this.pushedInTurn = true;
    queueMicrotask(this.endTurn);
    for (const sub of subs) this.pushTo(sub);
  }

  private later(sub: Sub): void {
    if (sub.dirty) return;
    sub.dirty = true;
    if (this.dirty.length === 0) queueMicrotask(this.flushDirty);
    this.dirty.push(sub);
  }

  private flushFeed(): void {
    if (this.dirty.length > 0) this.flushDirty();
  }

  private readonly flushDirty = (): void => {
    const subs = this.dirty;
    this.dirty = this.spare;
    for (const sub of subs) {
      sub.dirty = false;
      this.pushTo(sub);
    }
    subs.length = 0;
    this.spare = subs;
  };

  /** The change is made (and persisted): a failure to push it is logged, never the write's error nor the master's uncaught exception. */
  private pushTo(sub: Sub): void {
    try {
      this.flush(sub);
    } catch (err) {
      this.log?.error({ event: 'state-error', err: (err as Error)?.stack }, `pushing changes to a watcher failed: ${(err as Error)?.message}`);
    }
  }

  /** The entry's JSON of the last put (its write's reply splices the same text the event did). */
  private lastEntry: { readonly entry: Stored; readonly json: string } | undefined;

  private entryText(e: Stored): string {
    const last = this.lastEntry;
    if (last !== undefined && last.entry === e) return last.json;
    const json = entryJson(e, this.epoch);
    this.lastEntry = { entry: e, json };
    return json;
  }

  private eventText(c: Change): string {
    return c.type === 'put' ? `{"t":"put","e":${this.entryText(c.entry)}}` : `{"t":"del","key":${JSON.stringify(c.key)},"rev":${c.rev}}`;
  }

  /** remote: the feed lost changes; every watcher gets the new state as a reset. */
  private reset(snapshot: Loaded): void {
    this.load(snapshot);
    this.tombstones.clear();
    this.history.clear(this.rev);
    for (const sub of this.subs.values()) {
      sub.queue = [];
      sub.queuedBytes = 0;
      sub.needsReset = true;
      this.flush(sub);
    }
  }

  private setUp(up: boolean): void {
    if (up === this.backendUp) return;
    this.backendUp = up;
    this.log?.warn({ event: up ? 'state-backend-up' : 'state-backend-down' }, up ? 'the state backend is reachable again' : 'the state backend is unreachable: reads are stale, writes fail');
    for (const sub of this.subs.values()) {
      this.enqueue(sub, `{"t":"status","up":${up},"rev":${this.rev},"epoch":${this.epoch}}`);
      this.flush(sub);
    }
  }

  // ── watchers ────────────────────────────────────────────────────────────

  private watch(subKey: string, deliver: Deliver, h: Extract<Request, { op: 'watch' }>): string {
    const pattern = checkPattern(h.p);
    const id = Number(h.id);
    if (!Number.isSafeInteger(id) || typeof h.s !== 'string' || h.s.length > 64) throw new DroverError('DROVER_E_STATE_VALUE', 'watch: needs an integer id and a session');
    let sub = this.subs.get(subKey);
    if (!sub || sub.session !== h.s) {
      // A new process in this slot (a replacement): the old one's watches go with it.
      if (sub) clearTimeout(sub.retry);
      sub = { key: subKey, session: h.s, deliver, patterns: new Map(), queue: [], queuedBytes: 0, sending: false, dirty: false, needsReset: false, retry: undefined };
      this.subs.set(subKey, sub);
    }
    if (sub.patterns.size >= 1_000 && !sub.patterns.has(id)) throw new DroverError('DROVER_E_STATE_LIMIT', 'more than 1000 watches in one process: watch a prefix instead');
    this.subs.watch(sub, id, pattern);
    const since = typeof h.since === 'number' && Number.isSafeInteger(h.since) && h.since >= 0 ? h.since : undefined;
    if (since !== undefined && since >= this.history.floor && since <= this.rev && !h.reset) {
      for (const change of this.history.after(since)) {
        const rev = revOf(change);
        const key = change.type === 'put' ? change.entry.key : change.key;
        if (!matches(pattern, key)) continue;
        this.enqueue(sub, change.type === 'put' ? `{"t":"put","w":${id},"e":${entryJson(change.entry, this.epoch)}}` : `{"t":"del","w":${id},"key":${JSON.stringify(key)},"rev":${rev}}`);
      }
    } else if (since !== undefined || h.reset) {
      this.counts.resets++;
      for (const page of this.resetPages([pattern], id)) this.enqueue(sub, page);
    } else {
      for (const e of this.cache.values()) if (matches(pattern, e.key)) this.enqueue(sub, `{"t":"put","w":${id},"e":${entryJson(e, this.epoch)}}`);
    }
    this.enqueue(sub, `{"t":"synced","w":${id},"rev":${this.rev},"up":${this.backendUp}}`);
    this.flush(sub);
    return `{"ok":1,"rev":${this.rev},"epoch":${this.epoch}}`;
  }

  /**
   * A reset as events of at most PAGE_BYTES of entries each (a message has a
   * size limit, a snapshot does not): every page but the last says more:1,
   * and the client applies them together.
   */
  private resetPages(patterns: Iterable<string>, id: number | undefined): string[] {
    const list = [...patterns];
    const head = `{"t":"reset",${id === undefined ? '' : `"w":${id},`}"rev":${this.rev},"up":${this.backendUp},"es":[`;
    const pages: string[] = [];
    let page: string[] = [];
    let bytes = 0;
    for (const e of this.cache.values()) {
      if (!list.some((p) => matches(p, e.key))) continue;
      const json = entryJson(e, this.epoch);
      if (bytes + json.length > PAGE_BYTES && page.length > 0) {
        pages.push(`${head}${page.join(',')}],"more":1}`);
        page = [];
        bytes = 0;
      }
      page.push(json);
      bytes += json.length;
    }
    pages.push(`${head}${page.join(',')}]}`);
    return pages;
  }

  private enqueue(sub: Sub, event: string, force = false): void {
    if (sub.needsReset && !force) return;
    sub.queue.push(event);
    sub.queuedBytes += event.length;
    if (sub.queue.length > STATE_LIMITS.subscriberEvents || sub.queuedBytes > STATE_LIMITS.subscriberBytes) {
      sub.queue = [];
      sub.queuedBytes = 0;
      sub.needsReset = true;
    }
  }

  private flush(sub: Sub): void {
    if (sub.sending || this.subs.get(sub.key) !== sub) return;
    if (sub.needsReset) {
      // Built when it can leave, so it is the state of now, not of when the watcher fell behind.
      sub.needsReset = false;
      this.counts.resets++;
      sub.queue = this.resetPages(sub.patterns.values(), undefined);
      sub.queuedBytes = 0;
    }
    // Batches written at once (the hub had room) leave in this turn, one after the other.
    while (sub.queue.length > 0) {
      // One message holds at most BATCH_BYTES of events; the rest waits for the next turn.
      let n = 0;
      let bytes = 0;
      while (n < sub.queue.length && (n === 0 || bytes + sub.queue[n]!.length <= BATCH_BYTES)) bytes += sub.queue[n++]!.length;
      const batch = this.batchOf(sub.queue, n);
      // The queue is this sub's alone (batchOf keeps no reference to it): emptied in place, not remade.
      if (n === sub.queue.length) sub.queue.length = 0;
      else sub.queue = sub.queue.slice(n);
      sub.queuedBytes = Math.max(0, sub.queuedBytes - bytes);
      const sent = sub.deliver(batch);
      if (sent === undefined) continue;
      sub.sending = true;
      sent.then(
        () => {
          sub.sending = false;
          this.flush(sub);
        },
        (err: DroverError) => {
          sub.sending = false;
          if (err?.code === 'DROVER_E_MSG_OVERFLOW') {
            // Not read for a while: what it missed comes as a reset, once it reads again.
            sub.queue = [];
            sub.needsReset = true;
            sub.retry = setTimeout(() => this.flush(sub), 100);
            sub.retry.unref?.();
          } else {
            // The process is gone (or never subscribed): a new one registers its own watches.
            this.subs.delete(sub.key, sub);
          }
        },
      );
      return;
    }
  }

  /**
   * The batch of the first n queued events, made once for the same events: a
   * change (or the changes of one turn) pushed to several watchers is the
   * same string for each, which the hub encodes once and writes to every
   * connection as the same bytes (sendNow). Events are compared by identity
   * first: each change's event text is one string shared by its watchers.
   */
  private last: { readonly events: readonly string[]; readonly batch: string } | undefined;
  /** The common case, one change a turn: its event and batch, with no array or object per change. */
  private lastOne: string | undefined;
  private lastOneBatch = '';

  private batchOf(queue: readonly string[], n: number): string {
    if (n === 1) {
      const event = queue[0]!;
      if (event !== this.lastOne) {
        this.lastOne = event;
        this.lastOneBatch = `[${event}]`;
      }
      return this.lastOneBatch;
    }
    const last = this.last;
    if (last !== undefined && last.events.length === n) {
      let same = true;
      for (let i = 0; i < n && same; i++) same = last.events[i] === queue[i];
      if (same) return last.batch;
    }
    const events = queue.slice(0, n);
    const batch = `[${events.join(',')}]`;
    this.last = { events, batch };
    return batch;
  }

  /** Watching processes and their queued bytes (tests check the bound). */
  stats(): { subscribers: number; queuedBytes: number; keys: number; bytes: number; rev: number; historyBytes: number } {
    let queuedBytes = 0;
    for (const s of this.subs.values()) queuedBytes += s.queuedBytes;
    return { subscribers: this.subs.size, queuedBytes, keys: this.cache.size, bytes: this.bytes, rev: this.rev, historyBytes: this.history.bytes };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.turns.close(errorReply('DROVER_E_STATE_UNAVAILABLE', 'the state store is closed: the app is stopping'));
    for (const sub of this.subs.values()) clearTimeout(sub.retry);
    this.subs.clear();
    const backend = this.backend;
    if (!backend) return;
    if (backend.kind === 'local') backend.close();
    else await backend.close();
  }
}

/** The length of a change's event text without making it (the history's bound counts it): exact unless the key needs escaping in JSON. */
function eventBytes(c: Change, epochDigits: number): number {
  if (c.type === 'del') return 27 + c.key.length + digits(c.rev);
  const e = c.entry;
  return 62 + e.key.length + digits(e.version) + digits(e.rev) + epochDigits + e.json.length;
}

/** String(n).length of a whole number >= 0 (versions and revs), without making the string. */
function digits(n: number): number {
  let d = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    d++;
  }
  return d;
}

function version(x: unknown): number | undefined {
  if (x === undefined || x === null) return undefined;
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0) throw new DroverError('DROVER_E_STATE_VALUE', `ifVersion must be a whole number >= 0, got ${JSON.stringify(x)}`);
  return x;
}

function unavailable(message: string): DroverError {
  return new DroverError('DROVER_E_STATE_UNAVAILABLE', `${message}: the write was not made; retry once it is back`);
}

function errorReply(code: ErrorCode, message: string): string {
  return `{"ok":0,"code":${JSON.stringify(code)},"msg":${JSON.stringify(message)}}`;
}
