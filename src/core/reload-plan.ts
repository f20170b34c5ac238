// What a reload may change. A reload puts a whole new AppSpec in force, but the
// shell fixed some things when it first bound the ports: those changes are
// refused before anything changes, with a message that says to restart. Every
// other option takes effect either through the workers started with the new
// spec (script, args, env, limits…) or through an effect the shell carries out
// now (heartbeat, triggers, strategy), listed by specEffects().
import { isKernelMode } from './enums.js';
import type { AppSpec, Effect, Triggers } from './types.js';

/** Why this reload needs a restart instead, or undefined when it may go ahead. */
export function reloadRefusal(prev: AppSpec, next: AppSpec): string | undefined {
  if (prev.mode !== next.mode) {
    // exec workers have no IPC: no port sharing, no heartbeat, no drain.
    return `the new options run the app as ${next.mode === 'exec' ? 'an executable without IPC' : 'Node workers'} (it runs as ${prev.mode === 'exec' ? 'an executable' : 'Node workers'}): restart the app to change the interpreter kind`;
  }
  if (prev.execMode !== next.execMode) {
    return `execMode ${prev.execMode} → ${next.execMode} changes whether the workers share ports: restart the app to switch`;
  }
  if (prev.balance !== next.balance && (isKernelMode(prev.balance) || isKernelMode(next.balance))) {
    // The ports were bound for one way of sharing: a master listener, one
    // handle shared with the workers, or a socket per worker (reusePort).
    return `balance ${prev.balance} → ${next.balance} changes how the ports are shared: restart the app to switch (only master-balanced strategies can be switched by a reload)`;
  }
  const a = prev.state;
  const b = next.state;
  if (a.backend !== b.backend || a.dir !== b.dir || a.url !== b.url || a.namespace !== b.namespace) {
    // The master opened its store once; the workers' replicas follow that one.
    return `the shared state options (stateBackend, stateUrl, stateDir, stateNamespace) changed: restart the app to move its store`;
  }
  return undefined;
}

/** The heartbeat interval in force: only Node workers answer pings. */
export function heartbeatOf(spec: AppSpec): number {
  return spec.mode === 'node' ? spec.heartbeatIntervalMs : 0;
}

export function triggersOf(spec: AppSpec): Triggers {
  return { cwd: spec.cwd, watch: spec.watch, watchDebounceMs: spec.watchDebounceMs, cronRestart: spec.cronRestart };
}

export function hasTriggers(t: Triggers): boolean {
  return t.watch !== false || t.cronRestart !== undefined;
}

function sameTriggers(a: Triggers, b: Triggers): boolean {
  const watch = (w: Triggers['watch']) => (Array.isArray(w) ? JSON.stringify(w) : String(w));
  return a.cwd === b.cwd && watch(a.watch) === watch(b.watch) && a.watchDebounceMs === b.watchDebounceMs && a.cronRestart === b.cronRestart;
}

/** The effects that put `next` in force where `prev` was (also to go back when a reload fails). */
export function specEffects(prev: AppSpec, next: AppSpec): Effect[] {
  const effects: Effect[] = [];
  if (heartbeatOf(prev) !== heartbeatOf(next)) effects.push({ type: 'heartbeat', intervalMs: heartbeatOf(next) });
  const triggers = triggersOf(next);
  if (!sameTriggers(triggersOf(prev), triggers)) effects.push({ type: 'triggers', triggers });
  if (prev.balance !== next.balance && !isKernelMode(next.balance)) effects.push({ type: 'strategy', name: next.balance });
  return effects;
}
