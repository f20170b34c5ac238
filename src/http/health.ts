// /livez and /readyz decisions, pure: the HTTP layer only renders them.
//
// livez: the master's loop answers (the request itself proves it) and the
// supervisor has not halted. readyz: the app takes traffic: running, not
// draining, and at least minReady active workers ready (default: all desired).
import { workerCount } from '../core/wording.js';

export interface HealthInput {
  readonly phase: 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';
  /** Set by the master when SIGTERM arrives, before the drain: probes see 503 first. */
  readonly draining: boolean;
  readonly desired: number;
  /** Active (not spare), ready, not stopping workers. */
  readonly ready: number;
  readonly minReady: number | undefined;
}

export interface HealthAnswer {
  readonly ok: boolean;
  readonly reason: string;
}

export function liveness(phase: HealthInput['phase']): HealthAnswer {
  return phase === 'stopped' ? { ok: false, reason: 'the supervisor has stopped' } : { ok: true, reason: 'the master loop is alive' };
}

export function readiness(h: HealthInput): HealthAnswer {
  if (h.draining || h.phase === 'stopping') return { ok: false, reason: 'draining: the app is stopping' };
  if (h.phase === 'stopped') return { ok: false, reason: 'stopped' };
  if (h.phase === 'idle' || h.phase === 'starting') return { ok: false, reason: `starting: ${h.ready} of ${workerCount(h.desired)} ready` };
  const need = h.minReady ?? h.desired;
  if (h.ready < need) return { ok: false, reason: `short: ${workerCount(h.ready)} ready, ${need} needed` };
  return { ok: true, reason: `${h.ready} of ${workerCount(h.desired)} ready` };
}
