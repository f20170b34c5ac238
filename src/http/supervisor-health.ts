// /livez and /readyz of one supervisor (health.ts decides). Kept apart so an
// app master under the daemon loads this, not the whole endpoint.
import type { AppSupervisor as Supervisor } from '../runtime/supervisor.js';
import { liveness, readiness, type HealthAnswer } from './health.js';

export function supervisorHealth(supervisor: Supervisor, minReady: number | undefined, draining: () => boolean): { live: HealthAnswer; ready: HealthAnswer } {
  const phase = supervisor.phase;
  const ready = supervisor.workers().filter((w) => w.role === 'active' && w.phase === 'ready').length;
  return { live: liveness(phase), ready: readiness({ phase, draining: draining(), desired: supervisor.desired, ready, minReady }) };
}
