// app-ready: the master tells every worker and the agent once all workers were
// ready (the first start ended). onAppReady(fn) runs fn then, or at once when
// that already happened. Kept on globalThis so that the preloaded runtime and
// an app's own copy of drover/worker share it.
const KEY = Symbol.for('drover.app-ready');

interface AppReadyState {
  ready: boolean;
  readonly handlers: Array<() => unknown>;
}

function shared(): AppReadyState {
  const g = globalThis as Record<symbol, unknown>;
  return (g[KEY] ??= { ready: false, handlers: [] }) as AppReadyState;
}

function run(fn: () => unknown): void {
  // A handler's failure is the app's: reported like any unhandled error, never swallowed, never stopping the others.
  queueMicrotask(() => void fn());
}

export function markAppReady(): void {
  const s = shared();
  if (s.ready) return;
  s.ready = true;
  for (const fn of s.handlers.splice(0)) run(fn);
}

export function onAppReady(fn: () => unknown): void {
  if (typeof fn !== 'function') throw new TypeError('onAppReady(fn): fn must be a function');
  const s = shared();
  if (s.ready) run(fn);
  else s.handlers.push(fn);
}

export function isAppReady(): boolean {
  return shared().ready;
}
