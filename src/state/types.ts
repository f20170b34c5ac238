// The shared state store's public types: the same in workers, the agent and
// on the master (supervise()'s handle), whatever the backend.

/** One key as stored: versions count per key from 1, revs count store-wide, the epoch names the master's boot. */
export interface Entry<T = unknown> {
  readonly key: string;
  /** A JSON value, deep-frozen: copy it to change it. */
  readonly value: T;
  readonly version: number;
  readonly rev: number;
  readonly epoch: number;
  /** Served from the local replica while the master or the backend is unreachable. */
  readonly stale?: true;
}

export type WatchEvent<T = unknown> =
  | { readonly type: 'put'; readonly entry: Entry<T>; readonly rev: number }
  /** entry: the key and the rev of the deletion (value undefined, version 0). */
  | { readonly type: 'delete'; readonly entry: Entry<undefined>; readonly rev: number }
  /**
   * The watcher may have missed changes (it fell behind, or sinceRev is older
   * than the master's history): `entries` is the complete current state of
   * the watched keys at `rev`; anything not in it does not exist.
   */
  | { readonly type: 'reset'; readonly entries: readonly Entry<T>[]; readonly rev: number; readonly entry?: undefined };

export interface WriteOptions {
  /** Compare-and-set: write only if the key's version is this (0: only if it does not exist). */
  readonly ifVersion?: number;
  /** Reject with DROVER_E_STATE_UNAVAILABLE when the master has not answered within this (default 1000 ms). */
  readonly timeoutMs?: number;
}

export interface WatchOptions {
  /** Replay every change after this rev (or a reset, when the master's history does not reach back that far). */
  readonly sinceRev?: number;
}

export interface StateStatus {
  /** The master (and its backend) answered the last call. */
  readonly connected: boolean;
  /** Reads come from a replica that may be behind. */
  readonly stale: boolean;
  /** The last rev this process has seen. */
  readonly rev: number;
  readonly epoch: number;
}

export interface StateApi {
  /** The current entry (from the local replica once the key is watched). */
  get<T = unknown>(key: string): Promise<Entry<T> | undefined>;
  /** Synchronous read of the local replica: current for watched keys, the last seen otherwise. */
  peek<T = unknown>(key: string): Entry<T> | undefined;
  set<T = unknown>(key: string, value: T, options?: WriteOptions): Promise<Entry<T>>;
  /** Compare-and-set loop: fn gets the current value (undefined when missing) and returns the next. */
  update<T = unknown>(key: string, fn: (value: T | undefined) => T, options?: Omit<WriteOptions, 'ifVersion'>): Promise<Entry<T>>;
  /** Resolves true when the key existed. */
  delete(key: string, options?: WriteOptions): Promise<boolean>;
  /** A key, or a prefix ending in '*' ('*' alone: every key). Returns the function that stops the watch. */
  watch<T = unknown>(pattern: string, fn: (event: WatchEvent<T>) => void, options?: WatchOptions): () => void;
  status(): StateStatus;
}

export type { StateBackendName } from '../core/enums.js';
import type { StateBackendName } from '../core/enums.js';

/** Where the master keeps the store (AppSpec.state). */
export interface StateSpec {
  readonly backend: StateBackendName;
  /** file: the directory of the log. */
  readonly dir: string;
  /** redis: redis://host:port/db */
  readonly url: string | undefined;
  /** redis: the prefix of every key drover writes (default: the app name). */
  readonly namespace: string;
}

export const STATE_LIMITS = {
  maxValueBytes: 1024 * 1024,
  maxKeyBytes: 1024,
  maxKeys: 100_000,
  maxStoreBytes: 64 * 1024 * 1024,
  /** Changes kept for watchers that come back with sinceRev (bounded by bytes too). */
  historyChanges: 10_000,
  historyBytes: 16 * 1024 * 1024,
  /** Per watcher process: events waiting to be sent before it gets a reset instead. */
  subscriberEvents: 10_000,
  subscriberBytes: 8 * 1024 * 1024,
  defaultTimeoutMs: 1_000,
} as const;
