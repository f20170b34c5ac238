// `drover scale` waits, as `reload` does, until the app runs the new count of
// ready workers. It fails at the first new worker that exits before it was
// ready (the restart policy then keeps trying, the app keeps serving with the
// workers it has), when the app stops, or after the ready timeout.
import { DroverError } from '../errors.js';
import type { AppSupervisor } from './supervisor.js';

/** Extra time past readyTimeoutMs: the core itself stops a worker not ready by then, and says so with an exit. */
const MARGIN_MS = 5_000;

export function settled(s: Pick<AppSupervisor, 'workers'>, n: number): boolean {
  const staying = s.workers().filter((w) => w.role === 'active' && w.phase !== 'stopping');
  return staying.length === n && staying.every((w) => w.phase === 'ready');
}

/** Resolves once `n` active workers are ready (call right after s.scale(n)); `before`: the highest wid before the scale. */
export function waitForScale(s: AppSupervisor, n: number, before: number, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timeoutMs = s.current.readyTimeoutMs + MARGIN_MS;
    const done = (err?: Error) => {
      clearTimeout(timer);
      s.off('ready', check);
      s.off('exit', onExit);
      s.off('halt', onHalt);
      if (err) reject(err);
      else resolve();
    };
    const fail = (message: string) => done(new DroverError('DROVER_E_SCALE_NOT_READY', message, { instances: n }));
    const check = () => {
      if (settled(s, n)) done();
    };
    const onExit = (e: { wid: number; slot: number; code: number | null; signal: string | null; reason: string }) => {
      if (e.wid <= before || e.reason === 'stopped' || e.reason === 'replaced') return check();
      const how = e.signal ? `was killed by ${e.signal}` : `exited with code ${e.code}`;
      fail(`${name}: worker ${e.slot} ${how} before it was ready (${e.reason}): see its output with drover logs ${name}; the app keeps its ready workers and the restart policy keeps trying`);
    };
    const onHalt = () => fail(`${name} stopped while scaling to ${n}`);
    const timer = setTimeout(
      () => fail(`${name}: not ${n} ready workers within ${timeoutMs} ms (readyTimeoutMs ${s.current.readyTimeoutMs}): see drover logs ${name}, or raise --ready-timeout-ms`),
      timeoutMs,
    );
    s.on('ready', check);
    s.on('exit', onExit);
    s.on('halt', onHalt);
    check();
  });
}
