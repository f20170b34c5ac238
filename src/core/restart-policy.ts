// Pure restart arithmetic: should an exit restart, the sliding window
// (OTP supervisor's add_restart/3), and the per-slot exponential backoff.
import { assertNever } from './assert-never.js';
import type { AppSpec } from './types.js';

export function wantsRestart(spec: Pick<AppSpec, 'restart' | 'stopExitCodes'>, code: number | null, signal: string | null): boolean {
  if (code !== null && spec.stopExitCodes.includes(code)) return false;
  switch (spec.restart) {
    case 'never':
      return false;
    case 'always':
      return true;
    case 'on-failure':
      return signal !== null || code !== 0;
    default:
      return assertNever(spec.restart, 'restart policy');
  }
}

/** Restarts still inside the window ending at `now`. */
export function pruneWindow(times: readonly number[], now: number, windowMs: number): number[] {
  return times.filter((t) => now - t < windowMs);
}

/** True when one more restart would exceed maxRestarts within the window. */
export function exceedsWindow(times: readonly number[], maxRestarts: number): boolean {
  return times.length >= maxRestarts;
}

/** Delay before the n-th consecutive restart of a slot: 0, base, 2·base, 4·base … capped. */
export function backoffDelay(attempt: number, baseMs: number, capMs: number): number {
  if (attempt <= 0) return 0;
  return Math.min(capMs, baseMs * 2 ** (attempt - 1));
}
