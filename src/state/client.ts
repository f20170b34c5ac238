// A process's view of the store: the API of drover/worker's `state` (and of
// supervise()'s `store`), a local replica, and the watches. The replica holds
// every entry this process has seen; for watched keys it follows the master's
// pushes, so get() and peek() of a watched key need no round trip.
//
// Order: the master sends each process its events in rev order; a write's
// reply can overtake the event of the same write (or be overtaken), so the
// replica takes an entry only if its rev is newer than the one it holds, and
// watch callbacks are driven by the event stream alone.
import { randomBytes } from '../platform/random.js';
import { CATALOG, DroverError, type ErrorCode } from '../errors.js';
import { STATE_LIMITS, type Entry, type StateApi, type StateStatus, type WatchEvent, type WatchOptions, type WriteOptions } from './types.js';
import { checkKey, checkPattern, deepFreeze, encodeValue, matches } from './value.js';
import { parseBareSet, parsePutBatch, requestText, setText, type Request, type WireEntry, type WireEvent, type WireReply } from './wire.js';

export interface ClientTransport {
  /** Rejects with a messaging DroverError (timeout, disconnected, no route) when the master cannot be reached. */
  request(text: string, timeoutMs: number): Promise<string>;
  /** Event batches pushed by the master; subscribed before the first watch is sent. */
  listen(fn: (batch: string) => void): void;
}

interface Watcher {
  readonly id: number;
  readonly pattern: string;
  readonly fn: (event: WatchEvent) => void;
  synced: boolean;
  lastRev: number;
  /** Reset pages received so far (a reset larger than one message comes in pages). */
  pages: WireEntry[] | undefined;
}

export interface StoreStats {
  readonly keys: number;
  /** Keys and values as JSON text, in UTF-16 code units (what the store's byte limit counts). */
  readonly bytes: number;
  readonly rev: number;
  readonly watches: number;
  readonly resets: number;
  readonly writes: { readonly ok: number; readonly conflict: number; readonly error: number };
}

type Slot = { entry: Entry | undefined; rev: number };

const UNREACHABLE = new Set<string>(['DROVER_E_MSG_TIMEOUT', 'DROVER_E_MSG_DISCONNECTED', 'DROVER_E_MSG_NO_ROUTE', 'DROVER_E_MSG_OVERFLOW']);
const MAX_UPDATE_ATTEMPTS = 10_000;

export class StateClient implements StateApi {
  private readonly replica = new Map<string, Slot>();
  private readonly watchers = new Map<number, Watcher>();
  private readonly session = randomBytes(8).toString('hex');
  private nextId = 1;
  private rev = 0;
  private epoch = 0;
  private connected = true;
  private backendUp = true;
  private listening = false;
  /** Reset pages of the whole process (a watcher that fell behind), until the last page. */
  private pages: WireEntry[] | undefined;
  private retry: NodeJS.Timeout | undefined;
  /**
   * The master answered a bare write with its entry in full (a master that
   * does not know flag n): the writer's own copy is then never used, so no
   * write schedules the tick that makes it (ownValue).
   */
  private fullReplies = false;

  constructor(private readonly transport: ClientTransport) {}

  // ── reads ───────────────────────────────────────────────────────────────

  peek<T = unknown>(key: string): Entry<T> | undefined {
    return this.served(checkKey(key)) as Entry<T> | undefined;
  }

  get<T = unknown>(key: string): Promise<Entry<T> | undefined> {
    checkKey(key);
    // Not an async function: a watched key costs one resolved promise, nothing more.
    if (this.connected && this.backendUp && this.watched(key)) return Promise.resolve(this.served(key) as Entry<T> | undefined);
    return this.fetch<T>(key);
  }

  private async fetch<T>(key: string): Promise<Entry<T> | undefined> {
    let reply: WireReply;
    try {
      reply = await this.call({ op: 'get', key }, undefined, STATE_LIMITS.defaultTimeoutMs);
    } catch (err) {
      // Unreachable: the replica, marked stale, if it has the key at all.
      if ((err as DroverError).code === 'DROVER_E_STATE_UNAVAILABLE' && this.replica.has(key)) return this.served(key) as Entry<T> | undefined;
      throw err;
    }
    this.backendUp = reply.up !== false;
    if (reply.e) this.note(reply.e);
    else if (typeof reply.rev === 'number') this.noteGone(key, reply.rev, false);
    return (reply.e ? this.served(key) : undefined) as Entry<T> | undefined;
  }

  private watched(key: string): boolean {
    for (const w of this.watchers.values()) if (w.synced && matches(w.pattern, key)) return true;
    return false;
  }

  private served(key: string): Entry | undefined {
    const e = this.replica.get(key)?.entry;
    if (!e || (this.connected && this.backendUp)) return e;
    return Object.freeze({ ...e, stale: true as const });
  }

  status(): StateStatus {
    return { connected: this.connected, stale: !this.connected || !this.backendUp, rev: this.rev, epoch: this.epoch };
  }

  // ── writes ──────────────────────────────────────────────────────────────

  set<T = unknown>(key: string, value: T, options: WriteOptions = {}): Promise<Entry<T>> {
    // Not an async function (one promise hop less per set), so what it throws is turned into a rejection here.
    let json: string;
    let timeoutMs: number;
    try {
      checkKey(key);
      json = encodeValue(value, key);
      timeoutMs = timeoutOf(options);
    } catch (err) {
      return Promise.reject(err);
    }
    // bare: the master answers without the value; the writer makes its copy while the master works (ownValue).
    // The entry is made in the reply's own continuation (send's done): one promise hop, not two. own is made
    // after the request is handed to the transport (ownValue's tick must come after the hub client's flush);
    // done reads it at the reply, never before.
    const reply = this.send('set', setText(key, options.ifVersion, false, json, true), timeoutMs, false, (r) => this.written<T>(key, own, r));
    const own = ownValue(json, !this.fullReplies);
    return reply;
  }

  /**
   * The entry a write made, as the replica holds it (the same object when an
   * event brought it first). A bare reply (wire.ts, flag n) has no value: the
   * entry's is the writer's own text, parsed, which is the value the master
   * stored (it stores a set's text as it came).
   */
  private written<T>(key: string, own: () => unknown, reply: WireReply): Entry<T> {
    if (reply.e) {
      this.fullReplies = true;
      return this.note(reply.e) as Entry<T>;
    }
    const { version, rev, epoch } = reply;
    if (typeof version !== 'number' || typeof rev !== 'number' || typeof epoch !== 'number') {
      throw new DroverError('DROVER_E_STATE_UNAVAILABLE', `the master answered a set of '${key.slice(0, 80)}' without its entry: the write was made, its entry is unknown; read it again`);
    }
    const slot = this.replica.get(key);
    if (slot?.entry?.rev === rev) return slot.entry as Entry<T>;
    // The key order of an entry parsed off the wire (entryJson), so that every entry has one shape.
    const entry = Object.freeze({ key, version, rev, epoch, value: own() }) as Entry;
    this.note(entry);
    return entry as Entry<T>;
  }

  async update<T = unknown>(key: string, fn: (value: T | undefined) => T, options: Omit<WriteOptions, 'ifVersion'> = {}): Promise<Entry<T>> {
    if (typeof fn !== 'function') throw new DroverError('DROVER_E_STATE_VALUE', 'update(key, fn): fn must be a function');
    const timeoutMs = timeoutOf(options);
    // Optimistic: the replica's entry (maybe stale, maybe missing: version 0) saves a read; a conflict reply brings the current one.
    let cur = this.replica.get(checkKey(key))?.entry;
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
      const json = encodeValue(fn(cur?.value as T | undefined), key);
      // u: an update() attempt, which the master may hold until it is this process's turn on a contended key (fair-cas.ts).
      const pending = this.send('set', setText(key, cur?.version ?? 0, true, json, true), timeoutMs, true);
      const own = ownValue(json, !this.fullReplies);
      const reply = await pending;
      if (reply.ok) return this.written<T>(key, own, reply);
      // A conflict: its reply carries the current entry, which call() put in the replica; retry at once, no extra read.
      cur = reply.e ? (this.replica.get(key)?.entry ?? deepFreeze(reply.e as Entry)) : undefined;
    }
    throw new DroverError('DROVER_E_STATE_CONFLICT', `update('${key.slice(0, 80)}'): still conflicting after ${MAX_UPDATE_ATTEMPTS} attempts: too many writers on one key`);
  }

  async delete(key: string, options: WriteOptions = {}): Promise<boolean> {
    checkKey(key);
    const reply = await this.call({ op: 'del', key, ...(options.ifVersion === undefined ? {} : { if: options.ifVersion }) }, undefined, timeoutOf(options));
    if (reply.existed && typeof reply.rev === 'number') this.noteGone(key, reply.rev, true);
    return reply.existed === true;
  }

  /** Every entry whose key matches the pattern, from the master (for operators: `drover state <app> list`). */
  async list(pattern = '*'): Promise<Entry[]> {
    checkPattern(pattern);
    const reply = await this.call({ op: 'list', p: pattern }, undefined, 10_000);
    return (reply.es ?? []).map((e) => deepFreeze(e as Entry));
  }

  /** The master's figures of the store (for metrics): it does not open a store that was never used. */
  async stats(): Promise<StoreStats> {
    const r = await this.call({ op: 'status' }, undefined, STATE_LIMITS.defaultTimeoutMs);
    return { keys: r.keys ?? 0, bytes: r.bytes ?? 0, rev: r.rev ?? 0, watches: r.watches ?? 0, resets: r.resets ?? 0, writes: r.writes ?? { ok: 0, conflict: 0, error: 0 } };
  }

  // ── watches ─────────────────────────────────────────────────────────────

  watch<T = unknown>(pattern: string, fn: (event: WatchEvent<T>) => void, options: WatchOptions = {}): () => void {
    checkPattern(pattern);
    if (typeof fn !== 'function') throw new DroverError('DROVER_E_STATE_VALUE', 'watch(pattern, fn): fn must be a function');
    const since = options.sinceRev;
    if (since !== undefined && (!Number.isSafeInteger(since) || since < 0)) throw new DroverError('DROVER_E_STATE_VALUE', `watch: sinceRev must be a whole number >= 0, got ${String(since)}`);
    const w: Watcher = { id: this.nextId++, pattern, fn: fn as (e: WatchEvent) => void, synced: false, lastRev: since ?? 0, pages: undefined };
    this.watchers.set(w.id, w);
    if (!this.listening) {
      this.listening = true;
      this.transport.listen((batch) => this.onBatch(batch));
    }
    this.register(w, since, false);
    return () => {
      if (!this.watchers.delete(w.id)) return;
      this.call({ op: 'unwatch', id: w.id, s: this.session }, undefined, STATE_LIMITS.defaultTimeoutMs).catch(() => {});
    };
  }

  private register(w: Watcher, since: number | undefined, reset: boolean): void {
    const req: Request = { op: 'watch', id: w.id, p: w.pattern, s: this.session, ...(since === undefined ? {} : { since }), ...(reset ? { reset: true } : {}) };
    // Registration has no deadline of its own: it is retried until the master takes it.
    this.call(req, undefined, 10_000).catch(() => {
      if (!this.watchers.has(w.id)) return;
      this.retry ??= setTimeout(() => {
        this.retry = undefined;
        this.resync(false);
      }, 1_000);
      this.retry.unref?.();
    });
  }

  /** Events may have been lost (the connection came back) or revs restarted (a new epoch): watches register again. */
  private resync(epochChanged: boolean): void {
    if (epochChanged) this.replica.clear();
    for (const w of this.watchers.values()) {
      w.synced = false;
      this.register(w, epochChanged ? undefined : w.lastRev, epochChanged);
    }
  }

  private onBatch(batch: unknown): void {
    // The common push, one change of a watched key, without the batch's generic parse (wire.ts).
    const put = typeof batch === 'string' ? parsePutBatch(batch) : undefined;
    if (put !== undefined) return this.dispatch(undefined, put.key, put.rev, { type: 'put', entry: this.note(put), rev: put.rev });
    let events: WireEvent[];
    try {
      events = JSON.parse(String(batch));
    } catch {
      return;
    }
    if (!Array.isArray(events)) return;
    for (const ev of events) this.onEvent(ev);
  }

  private onEvent(ev: WireEvent): void {
    const target = ev.w === undefined ? undefined : this.watchers.get(ev.w);
    if (ev.w !== undefined && !target && ev.t !== 'reset') return;
    switch (ev.t) {
      case 'put': {
        const e = ev.e!;
        this.dispatch(target, e.key, e.rev, { type: 'put', entry: this.note(e), rev: e.rev });
        return;
      }
      case 'del': {
        const rev = ev.rev!;
        this.noteGone(ev.key!, rev, true);
        this.dispatch(target, ev.key!, rev, { type: 'delete', entry: Object.freeze({ key: ev.key!, value: undefined, version: 0, rev, epoch: this.epoch }), rev });
        return;
      }
      case 'synced':
        if (target) {
          target.synced = true;
          target.lastRev = Math.max(target.lastRev, ev.rev ?? 0);
        }
        this.backendUp = ev.up !== false;
        this.rev = Math.max(this.rev, ev.rev ?? 0);
        return;
      case 'status':
        this.backendUp = ev.up === true;
        return;
      case 'reset':
        return this.onReset(ev, target);
    }
  }

  private onReset(ev: WireEvent & { more?: number }, target: Watcher | undefined): void {
    if (ev.w !== undefined && !target) return;
    const acc = target ? (target.pages ??= []) : (this.pages ??= []);
    acc.push(...(ev.es ?? []));
    if (ev.more) return;
    if (target) target.pages = undefined;
    else this.pages = undefined;
    const rev = ev.rev ?? 0;
    this.backendUp = ev.up !== false;
    const watchers = target ? [target] : [...this.watchers.values()];
    // The snapshot is the whole truth for these patterns at rev: what the replica has beyond it is gone.
    const present = new Set(acc.map((e) => e.key));
    for (const [key, slot] of this.replica) {
      if (slot.rev <= rev && !present.has(key) && watchers.some((w) => matches(w.pattern, key))) this.replica.delete(key);
    }
    for (const e of acc) this.note(e);
    this.rev = Math.max(this.rev, rev);
    for (const w of watchers) {
      w.synced = true;
      w.lastRev = rev;
      const entries = acc.filter((e) => matches(w.pattern, e.key)).map((e) => this.replica.get(e.key)?.entry ?? deepFreeze(e as Entry));
      this.call1(w, { type: 'reset', entries, rev });
    }
  }

  /** Tagged events (initial puts, replays) go to their watcher; the rest to every synced watcher of the key, once per rev. */
  private dispatch(target: Watcher | undefined, key: string, rev: number, event: WatchEvent): void {
    if (target) return this.call1(target, event);
    for (const w of this.watchers.values()) {
      if (!w.synced || rev <= w.lastRev || !matches(w.pattern, key)) continue;
      w.lastRev = rev;
      this.call1(w, event);
    }
  }

  private call1(w: Watcher, event: WatchEvent): void {
    try {
      w.fn(event);
    } catch (err) {
      // One failing callback must not cost the others their events.
      process.stderr.write(`[drover state] a watch callback for '${w.pattern}' threw: ${(err as Error)?.stack ?? String(err)}\n`);
    }
  }

  // ── the replica ─────────────────────────────────────────────────────────

  /**
   * Into the replica if newer than what it holds for the key; returns the
   * entry for e's rev, the replica's own object when it holds that rev (a
   * watcher's event and a write's result are then the object peek() gives).
   * The push path: one map lookup, and the key's slot is reused, not remade.
   */
  private note(e: WireEntry): Entry {
    if (e.epoch !== this.epoch) {
      const changed = this.epoch !== 0;
      this.epoch = e.epoch;
      if (changed) this.resync(true);
    }
    if (e.rev > this.rev) this.rev = e.rev;
    const cur = this.replica.get(e.key);
    if (cur !== undefined && cur.rev >= e.rev) return cur.rev === e.rev && cur.entry !== undefined ? cur.entry : deepFreeze(e as Entry);
    const entry = deepFreeze(e as Entry);
    if (cur === undefined) this.replica.set(e.key, { entry, rev: e.rev });
    else {
      cur.entry = entry;
      cur.rev = e.rev;
    }
    return entry;
  }

  private noteGone(key: string, rev: number, isChange: boolean): void {
    if (isChange) this.rev = Math.max(this.rev, rev);
    const cur = this.replica.get(key);
    if (cur && cur.rev >= rev) return;
    if (isChange) this.replica.set(key, { entry: undefined, rev });
    else this.replica.delete(key);
  }

  // ── requests ────────────────────────────────────────────────────────────

  /** conflictOk: a conflict reply is returned (update() retries), not thrown: no error object per lost attempt. */
  private call(header: Request, value: string | undefined, timeoutMs: number, conflictOk = false): Promise<WireReply> {
    return this.send(header.op, requestText(header, value), timeoutMs, conflictOk);
  }

  /**
   * Not an async function: the reply is read in the transport's own
   * continuation (one promise hop, not two), and done (set()'s entry) runs in
   * the same continuation.
   */
  private send(op: Request['op'], request: string, timeoutMs: number, conflictOk: boolean): Promise<WireReply>;
  private send<R>(op: Request['op'], request: string, timeoutMs: number, conflictOk: boolean, done: (reply: WireReply) => R): Promise<R>;
  private send(op: Request['op'], request: string, timeoutMs: number, conflictOk: boolean, done?: (reply: WireReply) => unknown): Promise<unknown> {
    let pending: Promise<string>;
    try {
      pending = this.transport.request(request, timeoutMs);
    } catch (err) {
      return Promise.reject(this.failure(op, err, timeoutMs));
    }
    return pending.then(
      (text) => (done === undefined ? this.replied(op, text, conflictOk) : done(this.replied(op, text, conflictOk))),
      (err: unknown) => {
        throw this.failure(op, err, timeoutMs);
      },
    );
  }

  /** What a request that got no reply rejects with. */
  private failure(op: Request['op'], err: unknown, timeoutMs: number): unknown {
    const code = (err as DroverError)?.code;
    if (code === 'DROVER_E_MSG_TOO_LARGE') return new DroverError('DROVER_E_STATE_LIMIT', (err as Error).message);
    if (!UNREACHABLE.has(code)) return err;
    this.connected = false;
    return new DroverError(
      'DROVER_E_STATE_UNAVAILABLE',
      `the master did not answer the state ${op} within ${timeoutMs} ms (${(err as Error).message})${op === 'set' || op === 'del' ? ': the write may or may not have been made' : ''}; reads are served from the local replica, marked stale`,
    );
  }

  private replied(op: Request['op'], text: string, conflictOk: boolean): WireReply {
    // A set's success from this build's master is read without JSON.parse (wire.ts, bareSetReply); anything else in full.
    const reply = (op === 'set' ? parseBareSet(text) : undefined) ?? (JSON.parse(text) as WireReply);
    if (!this.connected) {
      this.connected = true;
      // Pushes may have been lost while the master was unreachable.
      if (op !== 'watch') this.resync(false);
    }
    if (typeof reply.epoch === 'number' && reply.epoch !== this.epoch) {
      const changed = this.epoch !== 0;
      this.epoch = reply.epoch;
      if (changed) this.resync(true);
    }
    if (reply.ok) {
      if (typeof reply.up === 'boolean') this.backendUp = reply.up;
      else if (op === 'set' || op === 'del') this.backendUp = true;
      return reply;
    }
    const code = (typeof reply.code === 'string' && reply.code in CATALOG ? reply.code : 'DROVER_E_STATE_UNAVAILABLE') as ErrorCode;
    if (code === 'DROVER_E_STATE_CONFLICT') {
      // The current entry: the replica takes it (it is at least as new as anything the replica has from the master).
      if (reply.e) this.note(reply.e);
      if (conflictOk) return reply;
    }
    if (code === 'DROVER_E_STATE_UNAVAILABLE') this.backendUp = false;
    throw new DroverError(code, String(reply.msg ?? 'the state request failed'), code === 'DROVER_E_STATE_CONFLICT' ? { entry: reply.e ? deepFreeze(reply.e) : undefined } : {});
  }
}

/**
 * A write's own value as every process reads it back (its JSON text parsed,
 * frozen). early: made on the next tick, after the hub client has sent the
 * request (it flushes its writes on a tick queued before this one), so the
 * parse runs while the master handles the write, not after the reply; at
 * once if the reply comes first (a transport in this process). Not early
 * (the master answers in full, so the copy is not needed): made only if the
 * reply asks for it, no tick.
 */
function ownValue(json: string, early: boolean): () => unknown {
  let made = false;
  let value: unknown;
  const make = (): unknown => {
    if (!made) {
      value = deepFreeze(JSON.parse(json));
      made = true;
    }
    return value;
  };
  if (!early) return make;
  // The text is JSON.stringify's, so it parses; should it not, the reply's call to make() rejects the write's promise (never an uncaught throw here).
  process.nextTick(() => {
    try {
      make();
    } catch {
      // made stays false: the reply's call tries again and rejects.
    }
  });
  return make;
}

function timeoutOf(options: WriteOptions): number {
  const t = options.timeoutMs ?? STATE_LIMITS.defaultTimeoutMs;
  if (!Number.isFinite(t) || t <= 0) throw new DroverError('DROVER_E_STATE_VALUE', `timeoutMs must be a positive number of milliseconds, got ${String(t)}`);
  return t;
}
