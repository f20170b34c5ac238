// The supervisor's decisions: step(state, event, now) → { state, effects }.
// Pure: no I/O, no clock of its own (now is monotonic ms from the caller), so
// every restart, give-up and stop deadline is unit-tested with a fake clock.
import type { ErrorCode } from '../errors.js';
import { CATALOG } from '../errors.js';
import { backoffDelay, exceedsWindow, pruneWindow, wantsRestart } from './restart-policy.js';
import type { AppSpec, Effect, Event, ExitReason, LifecycleEvent, Outcome, State, StepResult, StopReason, WorkerRec } from './types.js';

export function initialState(spec: AppSpec): State {
  return {
    spec,
    phase: 'idle',
    desired: spec.instances,
    workers: [],
    nextWid: 1,
    restartTimes: [],
    slotAttempts: {},
    pendingRestarts: [],
    startRequestedAt: undefined,
    outcome: undefined,
    forced: false,
  };
}

/** A mutable draft of one step: collects effects, edits a copy of the state. */
type DraftState = { -readonly [K in keyof State]: State[K] } & {
  workers: WorkerRec[];
  pendingRestarts: number[];
  restartTimes: number[];
};

class Draft {
  s: DraftState;
  readonly effects: Effect[] = [];

  constructor(
    state: State,
    readonly now: number,
  ) {
    this.s = { ...state, workers: [...state.workers], pendingRestarts: [...state.pendingRestarts], restartTimes: [...state.restartTimes] };
  }

  get spec(): AppSpec {
    return this.s.spec;
  }

  worker(wid: number): WorkerRec | undefined {
    return this.s.workers.find((w) => w.wid === wid);
  }

  update(wid: number, patch: Partial<WorkerRec>): WorkerRec {
    const i = this.s.workers.findIndex((w) => w.wid === wid);
    const next = { ...this.s.workers[i]!, ...patch };
    this.s.workers[i] = next;
    return next;
  }

  remove(wid: number): void {
    this.s.workers = this.s.workers.filter((w) => w.wid !== wid);
  }

  emit(event: LifecycleEvent): void {
    this.effects.push({ type: 'emit', event });
  }

  ids(w: WorkerRec): { wid: number; slot: number; pid: number | undefined } {
    return { wid: w.wid, slot: w.slot, pid: w.pid };
  }

  /** Workers that count towards the desired number: not stopping, not already replaced. */
  active(): WorkerRec[] {
    return this.s.workers.filter((w) => w.phase !== 'stopping' && !w.replaced);
  }

  freeSlot(): number {
    const used = new Set([...this.active().map((w) => w.slot), ...this.s.pendingRestarts]);
    let slot = 0;
    while (used.has(slot)) slot++;
    return slot;
  }

  spawn(slot: number): void {
    const wid = this.s.nextWid++;
    this.s.workers.push({
      wid,
      slot,
      startedAt: this.now,
      pid: undefined,
      phase: 'starting',
      everReady: false,
      replaced: false,
      stopReason: undefined,
      killed: false,
    });
    this.effects.push({ type: 'spawn', wid, slot });
    this.effects.push({ type: 'arm', key: `ready:${wid}`, ms: this.spec.readyTimeoutMs });
  }

  stopWorker(w: WorkerRec, reason: StopReason): void {
    if (w.phase === 'stopping') return;
    this.update(w.wid, { phase: 'stopping', stopReason: reason });
    this.effects.push({ type: 'cancel', key: `ready:${w.wid}` });
    this.effects.push({ type: 'stop-worker', wid: w.wid, signal: this.spec.stopSignal });
    this.effects.push({ type: 'arm', key: `kill:${w.wid}`, ms: this.spec.killTimeoutMs });
  }

  /** Decide the end: stop every worker, halt once they are gone. */
  finish(outcome: Outcome): void {
    if (!this.s.outcome) this.s.outcome = outcome;
    this.s.phase = 'stopping';
    for (const slot of this.s.pendingRestarts) this.effects.push({ type: 'cancel', key: `restart:${slot}` });
    this.s.pendingRestarts = [];
    for (const w of this.s.workers) this.stopWorker(w, 'shutdown');
    this.haltIfEmpty();
  }

  fail(code: ErrorCode, message: string): void {
    if (this.s.phase === 'starting') this.emit({ event: 'start-failed', code, message });
    this.finish({ exitCode: CATALOG[code].exitCode, error: { code, message } });
  }

  haltIfEmpty(): void {
    if (this.s.phase === 'stopping' && this.s.workers.length === 0) {
      const outcome = this.s.outcome ?? { exitCode: 0 };
      this.s.phase = 'stopped';
      this.emit({ event: 'stopped', exitCode: outcome.exitCode });
      this.effects.push({ type: 'halt', outcome });
    }
  }

  /**
   * One restart of `slot`, counted in the window; gives up when the window is full.
   * Returns false when it gave up.
   */
  restart(slot: number, uptimeMs: number): boolean {
    const spec = this.spec;
    const window = pruneWindow(this.s.restartTimes, this.now, spec.restartWindowMs);
    if (exceedsWindow(window, spec.maxRestarts)) {
      this.s.restartTimes = window;
      this.emit({ event: 'giveup', restarts: window.length, windowMs: spec.restartWindowMs });
      const message = `workers crashed ${window.length + 1} times within ${spec.restartWindowMs} ms (maxRestarts ${spec.maxRestarts}): fix the crash (see the exit events above), or raise --max-restarts / --restart-window-ms`;
      this.fail('DROVER_E_GIVEUP', message);
      return false;
    }
    window.push(this.now);
    this.s.restartTimes = window;
    const attempts = uptimeMs >= spec.minUptimeMs ? 0 : (this.s.slotAttempts[slot] ?? 0);
    this.s.slotAttempts = { ...this.s.slotAttempts, [slot]: attempts + 1 };
    const delayMs = backoffDelay(attempts, spec.restartDelayMs, spec.maxRestartDelayMs);
    this.emit({ event: 'restart', slot, delayMs, attempt: attempts + 1, restartsInWindow: window.length });
    if (delayMs === 0) {
      this.spawn(slot);
    } else {
      this.s.pendingRestarts.push(slot);
      this.effects.push({ type: 'arm', key: `restart:${slot}`, ms: delayMs });
    }
    return true;
  }

  markReady(w: WorkerRec): void {
    if (w.phase !== 'starting' && w.phase !== 'online') return;
    this.update(w.wid, { phase: 'ready', everReady: true });
    this.effects.push({ type: 'cancel', key: `ready:${w.wid}` });
    this.emit({ event: 'ready', ...this.ids(w) });
    this.checkStarted();
  }

  checkStarted(): void {
    if (this.s.phase !== 'starting') return;
    const ready = this.active().filter((w) => w.phase === 'ready').length;
    if (ready >= this.s.desired) {
      this.s.phase = 'running';
      this.emit({ event: 'started', workers: ready, durationMs: this.now - (this.s.startRequestedAt ?? this.now) });
    }
  }

  /** Spawn or stop workers until the active count matches the desired one. */
  reconcile(): void {
    if (this.s.phase !== 'running' && this.s.phase !== 'starting') return;
    let count = this.active().length + this.s.pendingRestarts.length;
    while (count < this.s.desired) {
      this.spawn(this.freeSlot());
      count++;
    }
    while (count > this.s.desired && this.s.pendingRestarts.length > 0) {
      const slot = this.s.pendingRestarts.pop()!;
      this.effects.push({ type: 'cancel', key: `restart:${slot}` });
      count--;
    }
    // The oldest go first (gunicorn's TTOU): the newest carry the latest code.
    const surplus = this.active().slice(0, Math.max(0, count - this.s.desired));
    for (const w of surplus) this.stopWorker(w, 'scale-down');
  }
}

function exitReason(w: WorkerRec, code: number | null, signal: string | null): ExitReason {
  if (w.stopReason === 'ready-timeout') return 'ready-timeout';
  if (w.stopReason) return w.killed ? 'killed' : 'stopped';
  if (w.replaced) return 'crashed';
  return code === 0 && signal === null ? 'exited' : 'crashed';
}

function describeExit(code: number | null, signal: string | null): string {
  return signal ? `was killed by ${signal}` : `exited with code ${code}`;
}

function onExited(d: Draft, e: Extract<Event, { type: 'exited' }>): void {
  const w = d.worker(e.wid);
  if (!w) return;
  const uptimeMs = d.now - w.startedAt;
  const reason = exitReason(w, e.code, e.signal);
  d.remove(w.wid);
  d.effects.push({ type: 'cancel', key: `kill:${w.wid}` }, { type: 'cancel', key: `ready:${w.wid}` });
  d.emit({ event: 'exit', ...d.ids(w), code: e.code, signal: e.signal, reason, uptimeMs });

  const phase = d.s.phase;
  if (phase === 'stopping') return d.haltIfEmpty();
  if (phase !== 'running' && phase !== 'starting') return;

  if (phase === 'starting' && !w.everReady && !w.replaced) {
    if (reason === 'ready-timeout') {
      return d.fail('DROVER_E_READY_TIMEOUT', readyTimeoutMessage(d.spec, w));
    }
    return d.fail(
      'DROVER_E_WORKER_BOOT',
      `worker ${w.slot} (pid ${w.pid}) ${describeExit(e.code, e.signal)} before it was ready: the app fails at start-up, see its output above`,
    );
  }
  const restartable = (w.stopReason === undefined || w.stopReason === 'ready-timeout') && !w.replaced;
  if (restartable && (reason === 'ready-timeout' || wantsRestart(d.spec, e.code, e.signal))) {
    if (!d.restart(w.slot, uptimeMs)) return;
  } else if (restartable) {
    // Not restarted by policy: the app runs with one worker fewer.
    d.s.desired = Math.max(0, d.s.desired - 1);
  }
  d.checkStarted();
  if (d.s.workers.length === 0 && d.s.pendingRestarts.length === 0) {
    d.finish({ exitCode: 0 });
  }
}

function readyTimeoutMessage(spec: AppSpec, w: WorkerRec): string {
  const what = spec.readyOn === 'listen' ? 'it never called listen(); if the script is not a server, use --ready-on online' : 'it never came online';
  return `worker ${w.slot} (pid ${w.pid}) was not ready within ${spec.readyTimeoutMs} ms: ${what}, or raise --ready-timeout-ms`;
}

function onTimer(d: Draft, key: string): void {
  const [kind, idText] = key.split(':');
  const id = Number(idText);
  if (kind === 'restart') {
    if (!d.s.pendingRestarts.includes(id)) return;
    d.s.pendingRestarts = d.s.pendingRestarts.filter((s) => s !== id);
    if (d.s.phase === 'running' || d.s.phase === 'starting') d.spawn(id);
    return;
  }
  const w = d.worker(id);
  if (!w) return;
  if (kind === 'kill') {
    d.update(w.wid, { killed: true });
    d.effects.push({ type: 'kill', wid: w.wid });
  } else if (kind === 'ready' && !w.everReady && w.phase !== 'stopping') {
    d.stopWorker(w, 'ready-timeout');
  }
}

function onExiting(d: Draft, e: Extract<Event, { type: 'exiting' }>): void {
  const w = d.worker(e.wid);
  if (!w || w.phase === 'stopping' || w.replaced) return;
  d.emit({ event: 'crash', ...d.ids(w), error: e.error });
  if (d.s.phase !== 'running' && d.s.phase !== 'starting') return;
  if (d.s.phase === 'starting' && !w.everReady) {
    // The boot failure itself is reported when the process exits, with its code.
    d.update(w.wid, { replaced: false });
    return;
  }
  // Replacement first, then the old worker leaves the balancer and drains.
  d.update(w.wid, { replaced: true });
  if (!d.restart(w.slot, d.now - w.startedAt)) return;
  d.stopWorker(d.worker(w.wid)!, 'crashed');
}

export function step(state: State, event: Event, now: number): StepResult {
  const d = new Draft(state, now);
  switch (event.type) {
    case 'start': {
      if (d.s.phase !== 'idle') break;
      d.s.phase = 'starting';
      d.s.startRequestedAt = now;
      d.reconcile();
      break;
    }
    case 'spawned': {
      const w = d.worker(event.wid);
      if (!w) break;
      const next = d.update(w.wid, { pid: event.pid });
      d.emit({ event: 'fork', ...d.ids(next) });
      if (d.spec.mode === 'exec') {
        d.update(w.wid, { phase: 'online' });
        d.emit({ event: 'online', ...d.ids(next) });
        if (d.spec.readyOn === 'online') d.markReady(d.worker(w.wid)!);
      }
      break;
    }
    case 'spawn-failed': {
      const w = d.worker(event.wid);
      if (!w) break;
      if (d.s.phase === 'starting' && !w.everReady) {
        d.remove(w.wid);
        d.effects.push({ type: 'cancel', key: `ready:${w.wid}` });
        d.fail('DROVER_E_SPAWN', `could not start worker ${w.slot}: ${event.message}`);
        break;
      }
      // The process never ran: judged as a crash, so backoff and give-up apply.
      onExited(d, { type: 'exited', wid: w.wid, code: null, signal: null });
      break;
    }
    case 'online': {
      const w = d.worker(event.wid);
      if (!w || w.phase !== 'starting') break;
      const next = d.update(w.wid, { phase: 'online' });
      d.emit({ event: 'online', ...d.ids(next) });
      if (d.spec.readyOn === 'online') d.markReady(next);
      break;
    }
    case 'listening': {
      const w = d.worker(event.wid);
      if (!w) break;
      d.emit({ event: 'listening', ...d.ids(w), address: event.address });
      if (d.spec.readyOn === 'listen') d.markReady(w);
      break;
    }
    case 'listen-failed': {
      const w = d.worker(event.wid);
      if (!w) break;
      if (d.s.phase === 'starting') d.fail(event.code, event.message);
      break;
    }
    case 'ready': {
      const w = d.worker(event.wid);
      if (w) d.markReady(w);
      break;
    }
    case 'exiting':
      onExiting(d, event);
      break;
    case 'disconnect': {
      const w = d.worker(event.wid);
      if (w) d.emit({ event: 'disconnect', ...d.ids(w) });
      break;
    }
    case 'exited':
      onExited(d, event);
      break;
    case 'timer':
      onTimer(d, event.key);
      break;
    case 'scale': {
      if (d.s.phase !== 'running' && d.s.phase !== 'starting') break;
      if (event.instances !== d.s.desired) d.emit({ event: 'scale', from: d.s.desired, to: event.instances });
      d.s.desired = event.instances;
      d.reconcile();
      break;
    }
    case 'stop': {
      if (d.s.phase === 'stopped') break;
      if (event.force) {
        d.s.forced = true;
        d.emit({ event: 'stopping', force: true });
        if (d.s.phase !== 'stopping') d.finish({ exitCode: 0 });
        for (const w of d.s.workers) {
          d.update(w.wid, { killed: true, phase: 'stopping', stopReason: w.stopReason ?? 'shutdown' });
          d.effects.push({ type: 'kill', wid: w.wid });
        }
        break;
      }
      if (d.s.phase === 'stopping') break;
      d.emit({ event: 'stopping', force: false });
      d.finish({ exitCode: 0 });
      break;
    }
  }
  return { state: d.s, effects: d.effects };
}
