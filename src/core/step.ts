// The supervisor's decisions: step(state, event, now) → { state, effects }.
// Pure: no I/O, no clock of its own (now is monotonic ms from the caller), no
// randomness (the runtime passes it in events), so every restart, give-up,
// reload and stop deadline is unit-tested with a fake clock.
import type { ErrorCode } from '../errors.js';
import { CATALOG } from '../errors.js';
import { assertNever } from './assert-never.js';
import { hasTriggers, heartbeatOf, reloadRefusal, specEffects, triggersOf } from './reload-plan.js';
import { backoffDelay, exceedsWindow, pruneWindow, wantsRestart } from './restart-policy.js';
import type {
  AppSpec,
  Effect,
  Event,
  ExitReason,
  LifecycleEvent,
  Outcome,
  PendingRestart,
  RecycleReason,
  ReloadState,
  State,
  StepResult,
  StopReason,
  WorkerRec,
  WorkerRole,
} from './types.js';

export function initialState(spec: AppSpec): State {
  return {
    spec,
    phase: 'idle',
    desired: spec.instances,
    workers: [],
    nextWid: 1,
    restartTimes: [],
    abuseTimes: [],
    slotAttempts: {},
    pendingRestarts: [],
    startRequestedAt: undefined,
    outcome: undefined,
    forced: false,
    reload: undefined,
    nextReloadId: 1,
    agent: { proc: undefined, pending: false, restartTimes: [], attempts: 0 },
    appReady: false,
  };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type DraftState = Mutable<State> & { workers: WorkerRec[]; pendingRestarts: PendingRestart[]; restartTimes: number[] };
type DraftReload = Mutable<ReloadState> & { pending: number[]; inFlight: number[]; draining: number[] };

const without = <T>(list: readonly T[], item: T): T[] => list.filter((x) => x !== item);

/**
 * Whether a worker gets connections: the one rule for balancer membership. The
 * shell asks it when a worker's listen succeeds; later changes reach the shell
 * as `join` / `leave` effects. Unlike members('active'), a worker whose graceful
 * successor is still booting keeps serving until the successor is ready.
 */
export function inBalancer(w: WorkerRec): boolean {
  return w.role === 'active' && w.phase !== 'stopping' && !w.condemned;
}

/** A mutable draft of one step: collects effects, edits a copy of the state. */
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

  get running(): boolean {
    return this.s.phase === 'running' || this.s.phase === 'starting';
  }

  worker(wid: number | undefined): WorkerRec | undefined {
    return wid === undefined ? undefined : this.s.workers.find((w) => w.wid === wid);
  }

  update(wid: number, patch: Partial<WorkerRec>): WorkerRec {
    const i = this.s.workers.findIndex((w) => w.wid === wid);
    const next = { ...this.s.workers[i]!, ...patch };
    this.s.workers[i] = next;
    return next;
  }

  emit(event: LifecycleEvent): void {
    this.effects.push({ type: 'emit', event });
  }

  ids(w: WorkerRec): { wid: number; slot: number; pid: number | undefined } {
    return { wid: w.wid, slot: w.slot, pid: w.pid };
  }

  /** Workers that count towards a role's desired number: not leaving, not being replaced. */
  members(role: WorkerRole): WorkerRec[] {
    return this.s.workers.filter((w) => w.role === role && w.phase !== 'stopping' && !w.condemned && w.successor === undefined);
  }

  freeSlot(): number {
    const used = new Set([...this.s.workers.filter((w) => w.phase !== 'stopping').map((w) => w.slot), ...this.s.pendingRestarts.map((p) => p.slot)]);
    let slot = 0;
    while (used.has(slot)) slot++;
    return slot;
  }

  spawn(slot: number, role: WorkerRole, predecessor?: number): number {
    const wid = this.s.nextWid++;
    this.s.workers.push({
      wid,
      slot,
      startedAt: this.now,
      pid: undefined,
      phase: 'starting',
      everReady: false,
      condemned: false,
      stopReason: undefined,
      sigkillSent: false,
      role,
      predecessor,
      successor: undefined,
      requestLimit: undefined,
    });
    this.effects.push({ type: 'spawn', wid, slot });
    this.effects.push({ type: 'arm', key: `ready:${wid}`, ms: this.spec.readyTimeoutMs });
    const hintMs = listenHintMs(this.spec);
    if (hintMs !== undefined) this.effects.push({ type: 'arm', key: `listen-hint:${wid}`, ms: hintMs });
    return wid;
  }

  stopWorker(w: WorkerRec, reason: StopReason): void {
    if (w.phase === 'stopping') return;
    this.update(w.wid, { phase: 'stopping', stopReason: reason });
    this.effects.push({ type: 'cancel', key: `ready:${w.wid}` }, { type: 'cancel', key: `hb:${w.wid}` });
    this.effects.push(...readinessCancels(w.wid));
    this.effects.push({ type: 'leave', wid: w.wid }, { type: 'stop-worker', wid: w.wid, signal: this.spec.stopSignal });
    this.effects.push({ type: 'arm', key: `kill:${w.wid}`, ms: this.spec.killTimeoutMs });
  }

  /** Decide the end: stop every worker, halt once they are gone. */
  finish(outcome: Outcome): void {
    if (!this.s.outcome) this.s.outcome = outcome;
    if (this.s.reload) this.endReload(false, 'the app is stopping');
    this.s.phase = 'stopping';
    for (const p of this.s.pendingRestarts) this.effects.push({ type: 'cancel', key: `restart:${p.slot}` });
    this.s.pendingRestarts = [];
    this.effects.push({ type: 'cancel', key: 'agent-ready' });
    if (this.s.agent.pending) {
      this.s.agent = { ...this.s.agent, pending: false };
      this.effects.push({ type: 'cancel', key: 'agent-restart' });
    }
    for (const w of this.s.workers) this.stopWorker(w, 'shutdown');
    this.haltIfEmpty();
  }

  fail(code: ErrorCode, message: string): void {
    if (this.s.phase === 'starting') this.emit({ event: 'start-failed', code, message });
    this.finish({ exitCode: CATALOG[code].exitCode, error: { code, message } });
  }

  haltIfEmpty(): void {
    if (this.s.phase === 'stopping' && this.s.workers.length === 0) {
      // The agent stops last: draining workers may still be talking to it. Halt follows its exit.
      if (this.s.agent.proc) return this.stopAgent();
      const outcome = this.s.outcome ?? { exitCode: 0 };
      this.s.phase = 'stopped';
      this.emit({ event: 'stopped', exitCode: outcome.exitCode });
      this.effects.push({ type: 'halt', outcome });
    }
  }

  /**
   * Counts one restart in the sliding window; gives up (and returns false)
   * when it is full. abuse: a replacement for abusing the message channels,
   * counted in a window of its own with the same limits. memory: a worker
   * replaced for maxMemory counts with the crashes (a maxMemory below the
   * app's base RSS is a loop like a crash loop); `rss` names it in the message.
   */
  admitRestart(abuse = false, memory?: { rss: number; limit: number }): boolean {
    const spec = this.spec;
    const window = pruneWindow(abuse ? this.s.abuseTimes : this.s.restartTimes, this.now, spec.restartWindowMs);
    const keep = (times: number[]) => (abuse ? (this.s.abuseTimes = times) : (this.s.restartTimes = times));
    if (exceedsWindow(window, spec.maxRestarts)) {
      keep(window);
      this.emit({ event: 'giveup', restarts: window.length, windowMs: spec.restartWindowMs });
      this.fail(
        'DROVER_E_GIVEUP',
        abuse
          ? `workers were replaced ${window.length + 1} times within ${spec.restartWindowMs} ms for abusing the message channels (maxRestarts ${spec.maxRestarts}): see the ipc-abuse lines above`
          : memory
            ? `workers were restarted ${window.length + 1} times within ${spec.restartWindowMs} ms, the last for using ${memory.rss} bytes of RSS, over maxMemory ${memory.limit} (maxRestarts ${spec.maxRestarts}): raise --max-memory above the app's usual RSS, or fix the leak`
            : `workers crashed ${window.length + 1} times within ${spec.restartWindowMs} ms (maxRestarts ${spec.maxRestarts}): fix the crash (see the exit events above), or raise --max-restarts / --restart-window-ms`,
      );
      return false;
    }
    window.push(this.now);
    keep(window);
    return true;
  }

  /**
   * A worker died or was found hung: its place is taken by a ready spare at
   * once when there is one, otherwise by a new process after the slot's backoff.
   */
  replace(w: WorkerRec, uptimeMs: number, abuse = false): boolean {
    if (!this.admitRestart(abuse)) return false;
    if (w.role === 'active' && this.promoteSpare()) {
      this.reconcile();
      return true;
    }
    const spec = this.spec;
    const attempts = uptimeMs >= spec.minUptimeMs ? 0 : (this.s.slotAttempts[w.slot] ?? 0);
    this.s.slotAttempts = { ...this.s.slotAttempts, [w.slot]: attempts + 1 };
    const delayMs = backoffDelay(attempts, spec.restartDelayMs, spec.maxRestartDelayMs);
    this.emit({ event: 'restart', slot: w.slot, delayMs, attempt: attempts + 1, restartsInWindow: (abuse ? this.s.abuseTimes : this.s.restartTimes).length });
    if (delayMs === 0) {
      this.spawn(w.slot, w.role);
    } else {
      this.s.pendingRestarts.push({ slot: w.slot, role: w.role });
      this.effects.push({ type: 'arm', key: `restart:${w.slot}`, ms: delayMs });
    }
    return true;
  }

  // ── the agent ───────────────────────────────────────────────────────────

  spawnAgent(): void {
    const wid = this.s.nextWid++;
    this.s.agent = { ...this.s.agent, pending: false, proc: { wid, pid: undefined, startedAt: this.now, stopping: false, sigkillSent: false, ready: false } };
    this.effects.push({ type: 'spawn-agent', wid });
  }

  // The agent's ordered start (egg's): no worker forks before the agent is ready.
  waitingForAgent(): boolean {
    return this.s.phase === 'starting' && this.spec.agent !== undefined && this.s.agent.proc?.ready !== true;
  }

  markAgentReady(wid: number): void {
    const p = this.s.agent.proc;
    if (!p || p.wid !== wid || p.ready || p.stopping) return;
    this.s.agent = { ...this.s.agent, proc: { ...p, ready: true } };
    this.effects.push({ type: 'cancel', key: 'agent-ready' });
    this.emit({ event: 'agent-ready', wid, pid: p.pid, durationMs: this.now - p.startedAt });
    if (this.s.appReady) this.effects.push({ type: 'app-ready', wid });
    this.reconcile();
  }

  /** The first start ended: every ready worker and the agent hear it once. */
  announceAppReady(): void {
    this.s.appReady = true;
    for (const w of this.s.workers) if (w.phase === 'ready') this.effects.push({ type: 'app-ready', wid: w.wid });
    const p = this.s.agent.proc;
    if (p?.ready && !p.stopping) this.effects.push({ type: 'app-ready', wid: p.wid });
  }

  stopAgent(): void {
    const p = this.s.agent.proc;
    if (!p || p.stopping) return;
    this.s.agent = { ...this.s.agent, proc: { ...p, stopping: true } };
    this.effects.push({ type: 'stop-agent', wid: p.wid, signal: this.spec.stopSignal });
    this.effects.push({ type: 'arm', key: `agent-kill:${p.wid}`, ms: this.spec.killTimeoutMs });
  }

  /** stopping: false when it is being replaced (its exit then counts as a crash and restarts it). */
  killAgent(stopping: boolean): void {
    const p = this.s.agent.proc;
    if (!p || p.sigkillSent) return;
    this.s.agent = { ...this.s.agent, proc: { ...p, stopping: p.stopping || stopping, sigkillSent: true } };
    this.effects.push({ type: 'kill', wid: p.wid });
  }

  /** Told to go (it abused the message channels): the stop signal now, SIGKILL at the deadline; its exit restarts it. */
  replaceAgent(error: string): void {
    const p = this.s.agent.proc;
    if (!p || p.stopping || !this.running) return;
    this.emit({ event: 'agent-crash', wid: p.wid, pid: p.pid, error });
    this.effects.push({ type: 'stop-agent', wid: p.wid, signal: this.spec.stopSignal });
    this.effects.push({ type: 'arm', key: `agent-kill:${p.wid}`, ms: this.spec.killTimeoutMs });
  }

  /** The same window, backoff and limits as the workers', counted apart: giving up on the agent leaves the workers running. */
  restartAgent(uptimeMs: number): void {
    const spec = this.spec;
    const a = this.s.agent;
    const window = pruneWindow(a.restartTimes, this.now, spec.restartWindowMs);
    if (exceedsWindow(window, spec.maxRestarts)) {
      this.s.agent = { ...a, restartTimes: window };
      this.emit({ event: 'agent-gave-up', restarts: window.length, windowMs: spec.restartWindowMs });
      return;
    }
    window.push(this.now);
    const attempts = uptimeMs >= spec.minUptimeMs ? 0 : a.attempts;
    const delayMs = backoffDelay(attempts, spec.restartDelayMs, spec.maxRestartDelayMs);
    this.s.agent = { ...a, restartTimes: window, attempts: attempts + 1 };
    this.emit({ event: 'agent-restart', delayMs, attempt: attempts + 1, restartsInWindow: window.length });
    if (delayMs === 0) return this.spawnAgent();
    this.s.agent = { ...this.s.agent, pending: true };
    this.effects.push({ type: 'arm', key: 'agent-restart', ms: delayMs });
  }

  promoteSpare(): boolean {
    const spare = this.members('spare').find((w) => w.phase === 'ready');
    if (!spare) return false;
    const next = this.update(spare.wid, { role: 'active' });
    this.effects.push({ type: 'join', wid: spare.wid });
    this.emit({ event: 'promote', ...this.ids(next) });
    return true;
  }

  /** Graceful replacement: the new worker starts now, the old one stops once the new one is ready. */
  startReplacement(old: WorkerRec): number {
    const wid = this.spawn(old.slot, old.role, old.wid);
    this.update(old.wid, { successor: wid });
    return wid;
  }

  /**
   * A memory recycle is a restart for a fault: it takes a place in the restart
   * window, so a maxMemory below the app's base RSS gives up as a crash loop
   * does. A max-requests recycle is planned (the limit is the user's, reached
   * by serving traffic): it does not, or a busy app would give up for being
   * busy. Both count in the app's restarts (the `recycle` event, with its reason).
   */
  recycle(w: WorkerRec, reason: RecycleReason, value: number): void {
    if (this.s.phase !== 'running' || w.successor !== undefined || w.phase !== 'ready') return;
    if (reason === 'memory' && !this.admitRestart(false, { rss: value, limit: this.spec.maxMemoryBytes ?? 0 })) return;
    this.emit({ event: 'recycle', ...this.ids(w), reason, value });
    this.startReplacement(w);
  }

  markReady(w: WorkerRec): void {
    if (w.phase !== 'starting' && w.phase !== 'online') return;
    const next = this.update(w.wid, { phase: 'ready', everReady: true, predecessor: undefined });
    this.effects.push({ type: 'cancel', key: `ready:${w.wid}` }, ...readinessCancels(w.wid));
    if (heartbeatOf(this.spec) > 0) {
      this.effects.push({ type: 'arm', key: `hb:${w.wid}`, ms: this.spec.heartbeatTimeoutMs });
    }
    this.emit({ event: 'ready', ...this.ids(next) });
    if (this.s.appReady) this.effects.push({ type: 'app-ready', wid: w.wid });
    const old = this.worker(w.predecessor);
    if (old) this.handOver(next, old);
    this.checkStarted();
  }

  /** The replacement is ready: the old worker leaves the balancer and drains. */
  handOver(fresh: WorkerRec, old: WorkerRec): void {
    this.stopWorker(old, 'replaced');
    const r = this.reloadDraft();
    if (r && r.inFlight.includes(fresh.wid)) {
      r.inFlight = without(r.inFlight, fresh.wid);
      r.draining.push(old.wid);
      this.s.reload = r;
      this.continueReload();
    }
  }

  checkStarted(): void {
    if (this.s.phase !== 'starting') return;
    const ready = this.members('active').filter((w) => w.phase === 'ready').length;
    if (ready >= this.s.desired) {
      this.s.phase = 'running';
      this.announceAppReady();
      this.emit({ event: 'started', workers: ready, durationMs: this.now - (this.s.startRequestedAt ?? this.now), balance: this.spec.balance });
      // Reloads are refused until now, so watch and cron start here.
      const triggers = triggersOf(this.spec);
      if (hasTriggers(triggers)) this.effects.push({ type: 'triggers', triggers });
    }
  }

  /** Spawn or stop workers until each role has its desired count. */
  reconcile(): void {
    if (!this.running || this.waitingForAgent()) return;
    this.reconcileRole('active', this.s.desired);
    this.reconcileRole('spare', this.spec.spares);
  }

  private reconcileRole(role: WorkerRole, desired: number): void {
    let count = this.members(role).length + this.s.pendingRestarts.filter((p) => p.role === role).length;
    while (count < desired) {
      this.spawn(this.freeSlot(), role);
      count++;
    }
    for (const p of [...this.s.pendingRestarts].reverse()) {
      if (count <= desired) break;
      if (p.role !== role) continue;
      this.s.pendingRestarts = without(this.s.pendingRestarts, p);
      this.effects.push({ type: 'cancel', key: `restart:${p.slot}` });
      count--;
    }
    // The oldest go first (gunicorn's TTOU): the newest carry the latest code.
    const surplus = this.members(role).slice(0, Math.max(0, count - desired));
    for (const w of surplus) this.stopWorker(w, 'scale-down');
  }

  // ── rolling reload ──────────────────────────────────────────────────────

  reloadDraft(): DraftReload | undefined {
    const r = this.s.reload;
    return r && { ...r, pending: [...r.pending], inFlight: [...r.inFlight], draining: [...r.draining] };
  }

  startReload(spec: AppSpec): void {
    if (this.s.phase !== 'running') {
      this.emit({ event: 'reload-refused', code: 'DROVER_E_RELOAD_REFUSED', message: `cannot reload while the app is ${this.s.phase}: wait until it runs` });
      return;
    }
    if (this.s.reload) {
      this.emit({ event: 'reload-refused', code: 'DROVER_E_RELOAD_REFUSED', message: `reload ${this.s.reload.id} is still running: wait for it to finish, then reload again` });
      return;
    }
    const refusal = reloadRefusal(this.s.spec, spec);
    if (refusal !== undefined) {
      this.emit({ event: 'reload-refused', code: 'DROVER_E_RELOAD_NEEDS_RESTART', message: refusal });
      return;
    }
    const pending = [...this.members('active'), ...this.members('spare')].map((w) => w.wid);
    const id = this.s.nextReloadId++;
    this.s.reload = { id, pending, inFlight: [], draining: [], previousSpec: this.s.spec, startedAt: this.now };
    this.putInForce(spec);
    this.emit({ event: 'reload-start', id, workers: pending.length });
    this.continueReload();
  }

  /**
   * A reload's spec takes effect at once (and the previous one again when the
   * reload fails): the replacements boot with it, and what the shell runs for
   * the whole app (heartbeat, triggers, strategy) is switched by effects.
   */
  putInForce(spec: AppSpec): void {
    const prev = this.s.spec;
    this.s.spec = spec;
    this.effects.push(...specEffects(prev, spec));
    const was = heartbeatOf(prev);
    const now = heartbeatOf(spec);
    if (was === now) return;
    for (const w of this.s.workers) {
      if (w.phase !== 'ready') continue;
      // Off: nobody is pinged any more, so nobody may be found silent. On: the
      // running workers are watched from now on, like the ones about to start.
      if (now === 0) this.effects.push({ type: 'cancel', key: `hb:${w.wid}` });
      else if (was === 0) this.effects.push({ type: 'arm', key: `hb:${w.wid}`, ms: spec.heartbeatTimeoutMs });
    }
  }

  continueReload(): void {
    const r = this.reloadDraft();
    if (!r) return;
    while (r.inFlight.length < this.spec.reloadBatch && r.pending.length > 0) {
      const old = this.worker(r.pending.shift());
      if (!old || old.phase === 'stopping' || old.successor !== undefined) continue;
      r.inFlight.push(this.startReplacement(old));
    }
    this.s.reload = r;
    if (r.pending.length === 0 && r.inFlight.length === 0 && r.draining.length === 0) this.endReload(true, '');
  }

  endReload(ok: boolean, message: string): void {
    const r = this.s.reload;
    if (!r) return;
    this.s.reload = undefined;
    if (ok) {
      this.emit({ event: 'reloaded', id: r.id, workers: this.members('active').length, durationMs: this.now - r.startedAt });
      this.s.desired = this.spec.instances;
      this.reconcile();
      return;
    }
    // The version that failed is not kept: later restarts use the previous spec.
    this.putInForce(r.previousSpec);
    for (const wid of r.inFlight) {
      const fresh = this.worker(wid);
      if (!fresh) continue;
      const old = this.worker(fresh.predecessor);
      if (old) this.update(old.wid, { successor: undefined });
      this.stopWorker(fresh, 'reload-failed');
    }
    this.emit({ event: 'reload-failed', id: r.id, message });
  }

  /** Forget a worker that is gone; a reload waiting on it moves on or fails. */
  forgetInReload(w: WorkerRec, failure: string | undefined): void {
    const r = this.reloadDraft();
    if (!r) return;
    const wasInFlight = r.inFlight.includes(w.wid);
    r.pending = without(r.pending, w.wid);
    r.inFlight = without(r.inFlight, w.wid);
    r.draining = without(r.draining, w.wid);
    this.s.reload = r;
    if (wasInFlight && failure !== undefined) this.endReload(false, failure);
    else this.continueReload();
  }
}

function exitReason(w: WorkerRec, code: number | null, signal: string | null): ExitReason {
  if (w.stopReason === 'ready-timeout' || w.stopReason === 'hung') return w.stopReason;
  if (w.stopReason === 'replaced') return 'replaced';
  if (w.stopReason === 'crashed') return 'crashed';
  if (w.stopReason) return w.sigkillSent ? 'killed' : 'stopped';
  if (w.condemned) return 'crashed';
  return code === 0 && signal === null ? 'exited' : 'crashed';
}

function describeExit(code: number | null, signal: string | null): string {
  return signal ? `was killed by ${signal}` : `exited with code ${code}`;
}

/** Timers that only wait for a worker to become ready (uptime in fork mode, the listen hint). */
function readinessCancels(wid: number): Effect[] {
  return [
    { type: 'cancel', key: `up:${wid}` },
    { type: 'cancel', key: `listen-hint:${wid}` },
  ];
}

/** A cluster-mode worker that has not listened this long is probably not a server: say so long before the ready timeout. */
export const LISTEN_HINT_MS = 5_000;

function listenHintMs(spec: AppSpec): number | undefined {
  if (spec.readyOn !== 'listen' || spec.readyTimeoutAction === 'ready') return undefined;
  return spec.readyTimeoutMs > 2 * LISTEN_HINT_MS ? LISTEN_HINT_MS : undefined;
}

function listenHintMessage(spec: AppSpec, w: WorkerRec): string {
  return (
    `worker ${w.slot} (pid ${w.pid}) has not called listen() after ${LISTEN_HINT_MS} ms: if it is not a server (a queue consumer, a script), ` +
    `run it with --exec-mode fork (exec_mode: 'fork') or --ready-on online; otherwise it is stopped after --ready-timeout-ms ${spec.readyTimeoutMs}`
  );
}

function notReadyWithin(spec: AppSpec, w: WorkerRec): string {
  const what =
    spec.readyOn === 'listen'
      ? 'it never called listen(); if the script is not a server, use --exec-mode fork or --ready-on online'
      : spec.readyOn === 'signal'
        ? 'it never called ready() from drover/worker (or process.send("ready"))'
        : spec.readyOn === 'uptime'
          ? `it did not stay up ${spec.minUptimeMs} ms (--min-uptime-ms)`
          : 'it never came online';
  return `worker ${w.slot} (pid ${w.pid}) was not ready within ${spec.readyTimeoutMs} ms: ${what}`;
}

function readyTimeoutMessage(spec: AppSpec, w: WorkerRec): string {
  return `${notReadyWithin(spec, w)}, or raise --ready-timeout-ms`;
}

function agentReadyTimeoutMessage(spec: AppSpec, pid: number | undefined): string {
  const agent = spec.agent!;
  return `the agent (pid ${pid}) was not ready within ${agent.readyTimeoutMs} ms, so no worker was started: make it call ready() from drover/worker once it can serve, use --agent-ready-on online for an agent that does not, or raise --agent-ready-timeout-ms`;
}

function onExited(d: Draft, e: Extract<Event, { type: 'exited' }>): void {
  const w = d.worker(e.wid);
  if (!w) return;
  const uptimeMs = d.now - w.startedAt;
  const reason = exitReason(w, e.code, e.signal);
  d.s.workers = d.s.workers.filter((x) => x.wid !== w.wid);
  d.effects.push({ type: 'cancel', key: `kill:${w.wid}` }, { type: 'cancel', key: `ready:${w.wid}` }, { type: 'cancel', key: `hb:${w.wid}` });
  d.effects.push(...readinessCancels(w.wid));
  d.emit({ event: 'exit', ...d.ids(w), code: e.code, signal: e.signal, reason, uptimeMs });

  // A graceful replacement that never became ready: the old worker keeps serving.
  const failedReplacement = w.predecessor !== undefined && !w.everReady;
  if (failedReplacement) {
    const old = d.worker(w.predecessor);
    if (old) d.update(old.wid, { successor: undefined });
  }
  // The old side of a replacement died first: its replacement simply takes the slot.
  const fresh = d.worker(w.successor);
  if (fresh && fresh.predecessor === w.wid) d.update(fresh.wid, { predecessor: undefined });
  d.forgetInReload(w, failedReplacement ? `replacement worker ${w.slot} (pid ${w.pid}) ${describeExit(e.code, e.signal)} before it was ready` : undefined);

  const phase = d.s.phase;
  if (phase === 'stopping') return d.haltIfEmpty();
  if (!d.running) return;

  if (phase === 'starting' && !w.everReady && !w.condemned && !failedReplacement) {
    if (reason === 'ready-timeout') return d.fail('DROVER_E_READY_TIMEOUT', readyTimeoutMessage(d.spec, w));
    return d.fail(
      'DROVER_E_WORKER_BOOT',
      `worker ${w.slot} (pid ${w.pid}) ${describeExit(e.code, e.signal)} before it was ready: the app fails at start-up, see its output above`,
    );
  }
  if (failedReplacement) {
    // Counted like a crash (a version that cannot boot must not retry for ever), never restarted.
    if (w.stopReason !== 'reload-failed' && !d.admitRestart()) return;
  } else {
    const restartable = (w.stopReason === undefined || w.stopReason === 'ready-timeout') && !w.condemned && w.successor === undefined;
    if (restartable && (reason === 'ready-timeout' || wantsRestart(d.spec, e.code, e.signal))) {
      if (!d.replace(w, uptimeMs)) return;
    } else if (restartable && w.role === 'active') {
      // Not restarted by policy: the app runs with one worker fewer.
      d.s.desired = Math.max(0, d.s.desired - 1);
    }
  }
  d.checkStarted();
  if (d.s.workers.length === 0 && d.s.pendingRestarts.length === 0) d.finish({ exitCode: 0 });
}

function onAgentExited(d: Draft, e: Extract<Event, { type: 'agent-exited' }>): void {
  const p = d.s.agent.proc;
  if (!p || p.wid !== e.wid) return;
  const uptimeMs = d.now - p.startedAt;
  const reason = p.stopping ? (p.sigkillSent ? 'killed' : 'stopped') : e.code === 0 && e.signal === null ? 'exited' : 'crashed';
  d.s.agent = { ...d.s.agent, proc: undefined };
  d.effects.push({ type: 'cancel', key: `agent-kill:${p.wid}` });
  d.emit({ event: 'agent-exit', wid: p.wid, pid: p.pid, code: e.code, signal: e.signal, reason, uptimeMs, ...(e.error === undefined ? {} : { error: e.error }) });
  if (d.s.phase === 'stopping') return d.haltIfEmpty();
  if (d.s.phase === 'starting' && !p.ready && !p.stopping) {
    d.effects.push({ type: 'cancel', key: 'agent-ready' });
    return d.fail(
      'DROVER_E_WORKER_BOOT',
      `the agent (pid ${p.pid}) ${e.error ? `could not start: ${e.error}` : describeExit(e.code, e.signal)} before it was ready: no worker was started; see its output above`,
    );
  }
  // A reload may have removed the agent from the spec: it is then not started again.
  if (!d.running || p.stopping || !d.spec.agent) return;
  // Restarted by the app's restart policy (a start that failed counts as a crash).
  if (wantsRestart(d.spec, e.code, e.signal)) d.restartAgent(uptimeMs);
}

/** A worker announced its own crash (uncaught exception) or was found hung: replacement first, then the old one stops. */
function replaceNow(d: Draft, w: WorkerRec, reason: 'crashed' | 'hung', abuse = false): void {
  d.update(w.wid, { condemned: true });
  if (w.successor === undefined && !d.replace(w, d.now - w.startedAt, abuse)) return;
  d.stopWorker(d.worker(w.wid)!, reason);
}

function onTimer(d: Draft, key: string): void {
  if (key === 'agent-ready') {
    const p = d.s.agent.proc;
    if (!d.waitingForAgent() || !p) return;
    return d.fail('DROVER_E_AGENT_READY_TIMEOUT', agentReadyTimeoutMessage(d.spec, p.pid));
  }
  if (key === 'agent-restart') {
    if (!d.s.agent.pending) return;
    d.s.agent = { ...d.s.agent, pending: false };
    if (d.running && d.spec.agent) d.spawnAgent();
    return;
  }
  const [kind, idText] = key.split(':');
  const id = Number(idText);
  if (kind === 'agent-kill') {
    if (d.s.agent.proc?.wid === id) d.killAgent(false);
    return;
  }
  if (kind === 'restart') {
    const pending = d.s.pendingRestarts.find((p) => p.slot === id);
    if (!pending) return;
    d.s.pendingRestarts = without(d.s.pendingRestarts, pending);
    if (d.running) d.spawn(pending.slot, pending.role);
    return;
  }
  const w = d.worker(id);
  if (!w) return;
  if (kind === 'kill') {
    // Only a stopping worker has a kill timer: it left the balancer when it was told to stop.
    d.update(w.wid, { sigkillSent: true });
    d.effects.push({ type: 'kill', wid: w.wid });
  } else if (kind === 'up' && w.phase === 'online') {
    d.markReady(w);
  } else if (kind === 'listen-hint' && !w.everReady && w.phase !== 'stopping') {
    d.emit({ event: 'warning', ...d.ids(w), message: listenHintMessage(d.spec, w) });
  } else if (kind === 'ready' && !w.everReady && w.phase !== 'stopping' && d.spec.readyTimeoutAction === 'ready') {
    // PM2's listen_timeout: a worker that said nothing in time is taken as ready.
    d.emit({ event: 'warning', ...d.ids(w), message: `${notReadyWithin(d.spec, w)}; taken as ready anyway (readyTimeoutAction ready, PM2's listen_timeout)` });
    d.markReady(w);
  } else if (kind === 'ready' && !w.everReady && w.phase !== 'stopping') {
    if (d.s.reload?.inFlight.includes(w.wid)) {
      d.endReload(false, readyTimeoutMessage(d.spec, w));
    } else {
      d.stopWorker(w, 'ready-timeout');
    }
  } else if (kind === 'hb' && w.phase === 'ready' && d.running && heartbeatOf(d.spec) > 0) {
    d.emit({ event: 'hung', ...d.ids(w), silentMs: d.spec.heartbeatTimeoutMs });
    replaceNow(d, w, 'hung');
  }
}

function onStats(d: Draft, e: Extract<Event, { type: 'stats' }>): void {
  const w = d.worker(e.wid);
  if (!w || w.phase !== 'ready') return;
  if (heartbeatOf(d.spec) > 0) d.effects.push({ type: 'arm', key: `hb:${w.wid}`, ms: d.spec.heartbeatTimeoutMs });
  const max = d.spec.maxMemoryBytes;
  if (max !== undefined && e.stats.rss > max) return d.recycle(w, 'memory', e.stats.rss);
  if (w.requestLimit !== undefined && e.stats.requests >= w.requestLimit) d.recycle(w, 'max-requests', e.stats.requests);
}

export function step(state: State, event: Event, now: number): StepResult {
  const d = new Draft(state, now);
  switch (event.type) {
    case 'start': {
      if (d.s.phase !== 'idle') break;
      d.s.phase = 'starting';
      d.s.startRequestedAt = now;
      const interval = heartbeatOf(d.spec);
      if (interval > 0) d.effects.push({ type: 'heartbeat', intervalMs: interval });
      // The agent first; the workers once it is ready (reconcile waits for it).
      if (d.spec.agent) {
        d.spawnAgent();
        d.effects.push({ type: 'arm', key: 'agent-ready', ms: d.spec.agent.readyTimeoutMs });
      }
      d.reconcile();
      break;
    }
    case 'spawned': {
      const w = d.worker(event.wid);
      if (!w) break;
      const spec = d.spec;
      const requestLimit = spec.maxRequests > 0 ? spec.maxRequests + Math.floor(event.random * (spec.maxRequestsJitter + 1)) : undefined;
      const next = d.update(w.wid, { pid: event.pid, requestLimit });
      d.emit({ event: 'fork', ...d.ids(next) });
      if (spec.mode === 'exec') {
        d.update(w.wid, { phase: 'online' });
        d.emit({ event: 'online', ...d.ids(next) });
        if (spec.readyOn === 'online') d.markReady(d.worker(w.wid)!);
      }
      break;
    }
    case 'spawn-failed': {
      const w = d.worker(event.wid);
      if (!w) break;
      if (d.s.phase === 'starting' && !w.everReady && w.predecessor === undefined) {
        d.s.workers = d.s.workers.filter((x) => x.wid !== w.wid);
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
      if (d.spec.readyOn === 'online' || (d.spec.readyOn === 'uptime' && d.spec.minUptimeMs === 0)) d.markReady(next);
      else if (d.spec.readyOn === 'uptime') d.effects.push({ type: 'arm', key: `up:${w.wid}`, ms: d.spec.minUptimeMs });
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
      if (w && d.s.phase === 'starting') d.fail(event.code, event.message);
      break;
    }
    case 'ready': {
      const w = d.worker(event.wid);
      if (w) d.markReady(w);
      break;
    }
    case 'exiting': {
      if (d.s.agent.proc?.wid === event.wid) {
        d.replaceAgent(event.error);
        break;
      }
      const w = d.worker(event.wid);
      if (!w || w.phase === 'stopping' || w.condemned) break;
      d.emit({ event: 'crash', ...d.ids(w), error: event.error });
      // During the first start a crash before ready is reported on exit, with its code.
      if (!d.running || (d.s.phase === 'starting' && !w.everReady)) break;
      replaceNow(d, w, 'crashed', event.abuse === true);
      break;
    }
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
    case 'stats':
      onStats(d, event);
      break;
    case 'agent-spawned': {
      const p = d.s.agent.proc;
      if (!p || p.wid !== event.wid) break;
      d.s.agent = { ...d.s.agent, proc: { ...p, pid: event.pid } };
      d.emit({ event: 'agent-spawn', wid: p.wid, pid: event.pid });
      if (d.spec.agent?.readyOn === 'online') d.markAgentReady(p.wid);
      break;
    }
    case 'agent-ready':
      d.markAgentReady(event.wid);
      break;
    case 'agent-exited':
      onAgentExited(d, event);
      break;
    case 'scale': {
      if (!d.running) break;
      if (event.instances !== d.s.desired) d.emit({ event: 'scale', from: d.s.desired, to: event.instances });
      d.s.desired = event.instances;
      d.reconcile();
      break;
    }
    case 'reload':
      d.startReload(event.spec);
      break;
    case 'stop': {
      if (d.s.phase === 'stopped') break;
      if (event.force) {
        d.s.forced = true;
        d.emit({ event: 'stopping', force: true });
        if (d.s.phase !== 'stopping') d.finish({ exitCode: 0 });
        for (const w of d.s.workers) {
          if (w.phase !== 'stopping') d.effects.push({ type: 'leave', wid: w.wid });
          d.update(w.wid, { sigkillSent: true, phase: 'stopping', stopReason: w.stopReason ?? 'shutdown' });
          d.effects.push({ type: 'kill', wid: w.wid });
        }
        d.killAgent(true);
        break;
      }
      if (d.s.phase === 'stopping') break;
      d.emit({ event: 'stopping', force: false });
      d.finish({ exitCode: 0 });
      break;
    }
    default:
      assertNever(event, 'event');
  }
  return { state: d.s, effects: d.effects };
}
