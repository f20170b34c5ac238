// How the daemon runs app masters: it launches one (from the standby master,
// or adopts one the CLI started), watches it over its control connection
// (its end without a halt reply is a crash), restarts a dead one as
// master-restarts.ts decides, and stops one on request.
import { existsSync } from 'node:fs';
import { monotonicMs } from '../platform/clock.js';
import { ControlClient } from '../control/client.js';
import type { MasterCommands } from '../control/commands.js';
import { appSocket, masterLog, type DroverPaths } from '../control/paths.js';
import type { StartResult } from '../control/records.js';
import { keptStandbyMaster, spawnStandbyMaster, type StandbyMaster } from '../control/standby.js';
import { toWireError } from '../control/wire.js';
import { DroverError, isDroverError } from '../errors.js';
import type { AppEntry } from './app-entry.js';
import { lastErrorLine, log } from './log.js';
import { trace } from '../control/trace.js';
import { decideMasterRestart } from './master-restarts.js';
import { killNamedMaster, namedMaster, namedMasterAlive } from './named-master.js';

const CONNECT_TIMEOUT_MS = 15_000;

export type MasterClient = ControlClient<MasterCommands>;

/** A master the daemon launches: its standby process, or one the CLI started (not this daemon's child). */
interface MasterProcess {
  readonly pid: number | undefined;
  exited(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** SIGKILL for one that never opened its socket, only while provably the same process (named-master.ts). */
  kill(): void;
}

/** What the masters need to know of the daemon. */
export interface MastersHost {
  /** The entry is still the app's (not deleted, not replaced by a new start). */
  isCurrent(entry: AppEntry): boolean;
  /** The daemon is shutting down: a master's end is not a crash. */
  exiting(): boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Masters {
  /** An app master process waiting for its app (control/standby.ts). */
  private standby: StandbyMaster | undefined;

  constructor(
    private readonly paths: DroverPaths,
    private readonly host: MastersHost,
  ) {}

  /** Watches a master over its control connection: its end without a halt reply is a crash. */
  attach(entry: AppEntry, client: MasterClient): void {
    entry.client = client;
    entry.changes = undefined;
    entry.lastStatus = undefined;
    let halted = false;
    let resolveGone!: () => void;
    entry.gone = new Promise((r) => (resolveGone = r));
    // 'changed': what list shows of this master may have moved (master/status-changes.ts); list asks it again.
    const onEvent = (event: string) => {
      if (event === 'changed' && entry.client === client) entry.changes = (entry.changes ?? 0) + 1;
    };
    client
      .call('watch', {}, { onEvent })
      .then((outcome) => {
        halted = true;
        entry.lastStatus = undefined;
        if (outcome.error) entry.lastError = outcome.error;
        if (typeof outcome.restarts === 'number') entry.lastRestarts = outcome.restarts;
        // 'errored' already: its start failed (launch), which its own exit must not turn into 'stopped'.
        if (entry.client === client && entry.state !== 'errored') entry.state = outcome.stopRequested || entry.stopping ? 'stopped' : outcome.exitCode === 0 ? 'stopped' : 'errored';
        if (outcome.error && !entry.stopping) log(`${entry.name}: stopped on its own: ${outcome.error.message}`);
      })
      .catch(() => {});
    client.on('close', () => {
      resolveGone();
      if (entry.client !== client) return;
      entry.client = undefined;
      entry.masterPid = undefined;
      if (entry.stopping || halted || this.host.exiting() || !this.host.isCurrent(entry)) {
        if (entry.state !== 'errored') entry.state = 'stopped';
        return;
      }
      log(`${entry.name}: app master died unexpectedly`);
      this.scheduleMasterRestart(entry);
    });
  }

  private scheduleMasterRestart(entry: AppEntry): void {
    const decision = decideMasterRestart(entry.restartTimes, monotonicMs());
    entry.restartTimes = decision.times;
    if (!decision.restart) {
      entry.state = 'errored';
      entry.lastError = { code: 'DROVER_E_MASTER_DIED', message: decision.message };
      log(`${entry.name}: ${decision.message}`);
      return;
    }
    entry.state = 'restarting';
    entry.restartTimer = setTimeout(() => {
      entry.restartTimer = undefined;
      if (entry.stopping || !this.host.isCurrent(entry)) return;
      entry.masterRestarts++;
      this.launch(entry).then(
        () => log(`${entry.name}: app master restarted (pid ${entry.masterPid})`),
        (err) => {
          entry.state = 'errored';
          entry.lastError = toWireError(err) as { code: string; message: string };
          log(`${entry.name}: restarting the app master failed: ${(err as Error).message}`);
        },
      );
    }, decision.delayMs);
  }

  /**
   * With DROVER_SPARE_MASTER=1 the daemon keeps one standby master ready
   * (Node and the master's imports loaded), so a start that brings no master
   * of its own (a config file, a restart) does not wait for that. Off by
   * default: it costs an idle Node process (docs/daemon.md).
   */
  replenishStandby(): void {
    if (this.standby || this.host.exiting() || !keptStandbyMaster()) return;
    this.standby = spawnStandbyMaster(this.paths, (m) => {
      if (this.standby === m) this.standby = undefined;
    });
  }

  /**
   * Starts the master (the standby, a new one, or the one the CLI already
   * started and hands the record to itself), connects to its socket and waits
   * until its workers are ready.
   */
  async launch(entry: AppEntry, prespawnedPid?: number): Promise<StartResult> {
    const { record } = entry;
    // The CLI's resolved spec is for this first master only: a later launch
    // (a master restart, a start after `scale` changed the options) resolves
    // the record's options again.
    if (record.spec !== undefined) entry.record = { ...record, spec: undefined };
    const socket = appSocket(this.paths, record.name);
    const logFile = masterLog(this.paths);
    entry.state = 'starting';
    entry.stopping = false;
    let proc: MasterProcess;
    if (prespawnedPid !== undefined) {
      // Not this daemon's child: no exit event, so it is looked up. hook (issue 15): proven, pinned by its start time.
      const named = namedMaster(prespawnedPid, record.name);
      proc = { pid: prespawnedPid, exited: () => (namedMasterAlive(named) ? undefined : { code: null, signal: null }), kill: () => killNamedMaster(named) };
    } else {
      const standby = this.standby && !this.standby.exited ? this.standby : spawnStandbyMaster(this.paths);
      if (standby === this.standby) this.standby = undefined;
      standby.provide(record);
      proc = { pid: standby.pid, exited: () => standby.exited, kill: () => void (standby.exited === undefined && standby.child.kill('SIGKILL')) };
    }
    entry.masterPid = proc.pid;
    try {
      return await this.connectMaster(entry, proc, socket, logFile);
    } finally {
      // The next standby boots once this start is done, not competing with it for CPU.
      this.replenishStandby();
    }
  }

  private async connectMaster(entry: AppEntry, proc: MasterProcess, socket: string, logFile: string): Promise<StartResult> {
    const { record } = entry;
    // The master listens on its socket before it does anything else.
    const deadline = Date.now() + CONNECT_TIMEOUT_MS;
    let client: MasterClient | undefined;
    while (!client) {
      const exited = proc.exited();
      if (exited) throw lastErrorLine(logFile, record.name) ?? new DroverError('DROVER_E_MASTER_DIED', `the app master of ${record.name} exited (${exited.signal ?? exited.code}) before it listened`);
      if (Date.now() > deadline) {
        proc.kill();
        throw new DroverError('DROVER_E_MASTER_DIED', `the app master of ${record.name} did not open ${socket} within ${CONNECT_TIMEOUT_MS} ms: see ${logFile}`);
      }
      client = existsSync(socket)
        ? await ControlClient.connect<MasterCommands>(socket, { timeoutMs: 1000, lostCode: 'DROVER_E_MASTER_DIED', lostMessage: `the app master of ${record.name} exited` }).catch(() => undefined)
        : undefined;
      if (!client) await sleep(5);
    }
    trace('daemon: master connected');
    this.attach(entry, client);
    try {
      const ready = await client.call('wait-ready');
      trace('daemon: ready');
      if (entry.stopping) {
        // Stopped or deleted while it was starting (a master restart, say): honour that.
        await client.call('stop').catch(() => {});
        throw new DroverError('DROVER_E_STOPPED', `${record.name} was stopped while it started`);
      }
      entry.state = 'online';
      entry.lastError = undefined;
      return { name: record.name, masterPid: proc.pid!, workers: ready.workers, durationMs: ready.durationMs, addresses: ready.addresses };
    } catch (err) {
      // The master exits by itself after a failed start; it is not a crash.
      const stoppedMeanwhile = entry.stopping;
      entry.stopping = true;
      entry.state = stoppedMeanwhile ? 'stopped' : 'errored';
      entry.lastError = toWireError(err) as { code: string; message: string };
      throw err;
    }
  }

  async stop(entry: AppEntry, force = false): Promise<{ name: string; exitCode: number }> {
    entry.stopping = true;
    clearTimeout(entry.restartTimer);
    entry.restartTimer = undefined;
    const client = entry.client;
    if (!client) {
      entry.state = entry.state === 'errored' ? 'errored' : 'stopped';
      return { name: entry.name, exitCode: 0 };
    }
    entry.state = 'stopping';
    const outcome = await client.call('stop', { force }).catch((err) => {
      if (isDroverError(err) && err.code === 'DROVER_E_MASTER_DIED') return { exitCode: 0 };
      throw err;
    });
    await entry.gone;
    entry.state = 'stopped';
    return { name: entry.name, exitCode: outcome.exitCode };
  }

  /** The master of a running app; a command that needs one fails clearly for a stopped app. */
  running(entry: AppEntry, hint = ''): MasterClient {
    if (!entry.client) throw new DroverError('DROVER_E_RELOAD_REFUSED', `${entry.name} is not running (${entry.state})${hint}`);
    return entry.client;
  }

  /** Ends the standby master (it reads end-of-file and exits). */
  close(): void {
    this.standby?.provide(undefined);
  }
}
