// What the master's store runs on.
//
// Local backends (memory, file): the master itself is the single writer. It
// sequences every write (compare-and-set against its own table), hands the
// change to the persistence, which has it in the operating system before the
// write is acknowledged, and fans it out.
//
// A remote backend (redis): several masters share one store, so the
// compare-and-set happens in the backend, atomically with appending the change
// to a feed that every master tails; a master learns of every change, its own
// included, from that feed, in rev order.
import type { Change, Stored } from './wire.js';

export interface Loaded {
  readonly entries: Iterable<Stored>;
  /** The store-wide rev (it never goes back, not even after deletes and a compaction). */
  readonly rev: number;
}

export interface Persistence {
  readonly kind: 'local';
  load(): Loaded;
  /** Synchronous: once it returns, the change survives a SIGKILL of the master. Throws when it cannot. */
  append(change: Change): void;
  close(): void;
}

export type WriteOp = { readonly type: 'put'; readonly key: string; readonly json: string; readonly ifVersion?: number } | { readonly type: 'del'; readonly key: string; readonly ifVersion?: number };

export type WriteOutcome =
  | { readonly ok: true; readonly change: Change | undefined }
  | { readonly ok: false; readonly current: Stored | undefined };

export interface RemoteFeed {
  /** One change from the feed, in rev order. */
  change(change: Change): void;
  /**
   * The changes fed so far leave for the watchers now, not at the end of the
   * turn. The tail calls it before it writes its next read: that write (a
   * loopback send that wakes Redis) would otherwise go out ahead of the
   * fan-out's socket writes.
   */
  flush(): void;
  /** The feed lost changes (trimmed while disconnected): the snapshot replaces everything. */
  reset(snapshot: Loaded): void;
  /** The backend became reachable or unreachable. */
  status(up: boolean): void;
}

export interface RemoteBackend {
  readonly kind: 'remote';
  open(feed: RemoteFeed): Promise<Loaded>;
  /** Rejects with DROVER_E_STATE_UNAVAILABLE (fast) while the backend is unreachable. */
  write(op: WriteOp, limits: { readonly maxKeys: number }): Promise<WriteOutcome>;
  close(): Promise<void>;
}

export type Backend = Persistence | RemoteBackend;
