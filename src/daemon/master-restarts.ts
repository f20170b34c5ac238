// When the daemon restarts an app master that died: the core's restart policy
// (core/restart-policy.ts: OTP's sliding window, exponential backoff) on the
// monotonic clock, the same arithmetic the app master applies to its workers.
// Pure: `now` is passed in, so it is tested with a fake clock.
import { backoffDelay, exceedsWindow, pruneWindow } from '../core/restart-policy.js';

export interface MasterRestartPolicy {
  /** A master that dies more often than this within the window is left errored. */
  readonly maxRestarts: number;
  readonly windowMs: number;
  readonly backoffBaseMs: number;
  readonly backoffCapMs: number;
}

export const MASTER_RESTART_POLICY: MasterRestartPolicy = { maxRestarts: 5, windowMs: 60_000, backoffBaseMs: 100, backoffCapMs: 5_000 };

export type MasterRestartDecision =
  /** Restart after delayMs; `times` (restarts in the window, this one included) replaces the app's list. */
  | { readonly restart: true; readonly times: readonly number[]; readonly delayMs: number }
  /** Too many deaths within the window: leave the app errored. */
  | { readonly restart: false; readonly times: readonly number[]; readonly message: string };

/** times: monotonic ms of the app master's earlier restarts; now: monotonic ms of this death. */
export function decideMasterRestart(times: readonly number[], now: number, policy: MasterRestartPolicy = MASTER_RESTART_POLICY): MasterRestartDecision {
  const recent = pruneWindow(times, now, policy.windowMs);
  if (exceedsWindow(recent, policy.maxRestarts)) {
    return { restart: false, times: recent, message: `the app master died ${recent.length} times within ${policy.windowMs / 1000} s; not restarting it` };
  }
  const next = [...recent, now];
  return { restart: true, times: next, delayMs: backoffDelay(next.length, policy.backoffBaseMs, policy.backoffCapMs) };
}
