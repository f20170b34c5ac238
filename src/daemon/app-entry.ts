// What the daemon knows about one app, and how it describes it from that and
// the app master's status (procstats adds CPU and memory).
import { redactEnv } from '../config/env.js';
import type { ControlClient } from '../control/client.js';
import type { MasterCommands } from '../control/commands.js';
import { masterLog, type DroverPaths } from '../control/paths.js';
import type { AppDescription, AppState, AppSummary, LaunchRecord, MasterStatus, ProcStats } from '../control/records.js';
import { logFiles } from '../logs/log-files.js';
import { procStats } from './procstats.js';

export interface AppEntry {
  readonly name: string;
  record: LaunchRecord;
  state: AppState;
  masterPid: number | undefined;
  client: ControlClient<MasterCommands> | undefined;
  /** A stop or delete was asked for: the master's end is not a crash. */
  stopping: boolean;
  masterRestarts: number;
  /** Monotonic ms of the master's restarts within the restart window (master-restarts.ts). */
  restartTimes: readonly number[];
  restartTimer: NodeJS.Timeout | undefined;
  lastError: { code: string; message: string } | undefined;
  /** Worker restarts of the last master that ended (shown while none runs, e.g. after a give-up). */
  lastRestarts: number;
  /** Resolves when the current master's connection closes. */
  gone: Promise<void>;
  /** The current master's 'changed' events so far (masters.ts); undefined: it sends none, ask it every time. */
  changes: number | undefined;
  /** Its status as read last, with the count of 'changed' events at the time of asking (daemon.ts, list). */
  lastStatus: { readonly client: ControlClient<MasterCommands>; readonly changes: number; readonly status: MasterStatus } | undefined;
}

export function newEntry(record: LaunchRecord): AppEntry {
  return {
    name: record.name,
    record,
    state: 'launching',
    masterPid: undefined,
    client: undefined,
    stopping: false,
    masterRestarts: 0,
    restartTimes: [],
    restartTimer: undefined,
    lastError: undefined,
    lastRestarts: 0,
    gone: Promise.resolve(),
    changes: undefined,
    lastStatus: undefined,
  };
}

/** The processes whose CPU and memory make an app's row: its workers and its agent. */
export function statPids(s: MasterStatus | undefined): number[] {
  const pids = (s?.workers ?? []).flatMap((w) => (w.pid === undefined ? [] : [w.pid]));
  if (s?.agent?.pid !== undefined) pids.push(s.agent.pid);
  return pids;
}

/** `stats`: where CPU and memory come from (the daemon's list: its StatSampler). */
export function summarize(entry: AppEntry, s: MasterStatus | undefined, stats: (pid: number | undefined) => ProcStats | undefined = procStats): AppSummary {
  let cpu = 0;
  let memory = 0;
  const workerPids = (s?.workers ?? []).flatMap((w) => (w.pid === undefined ? [] : [w.pid]));
  for (const pid of statPids(s)) {
    const st = stats(pid);
    if (st) {
      cpu += st.cpu;
      memory += st.memory;
    }
  }
  let state = entry.state;
  if (s && state === 'online' && s.phase === 'stopping') state = 'stopping';
  return {
    name: entry.name,
    status: state,
    masterPid: entry.masterPid,
    mode: s ? (s.mode === 'exec' ? 'exec' : s.balance) : '-',
    ready: s ? s.workers.filter((w) => w.phase === 'ready' && w.role === 'active').length : 0,
    desired: s?.desired ?? 0,
    restarts: s?.restarts ?? entry.lastRestarts,
    masterRestarts: entry.masterRestarts,
    pids: workerPids,
    uptimeMs: s?.uptimeMs ?? 0,
    cpu: Math.round(cpu * 10) / 10,
    memory,
    lastError: entry.lastError ?? s?.lastError,
  };
}

export function describeApp(entry: AppEntry, s: MasterStatus | undefined, paths: DroverPaths): AppDescription {
  const head = summarize(entry, s);
  const { env: declared, ...options } = entry.record.options;
  const ports = (s?.addresses ?? []).map((a) => Number(/:(\d+)$/.exec(a)?.[1])).filter((p) => Number.isInteger(p) && p > 0);
  return {
    ...head,
    script: s?.script ?? String(entry.record.options.script),
    args: s?.args ?? entry.record.options.args ?? [],
    cwd: s?.cwd ?? String(entry.record.options.cwd ?? ''),
    balance: s?.balance ?? String(entry.record.options.balance ?? 'round-robin'),
    addresses: s?.addresses ?? [],
    ports: [...new Set(ports)],
    workers: (s?.workers ?? []).map((w) => ({ ...w, ...procStats(w.pid) })),
    master: { pid: entry.masterPid, ...procStats(entry.masterPid) },
    agent: s?.agent && { ...s.agent, ...procStats(s.agent.pid) },
    env: redactEnv((declared ?? {}) as Record<string, string>),
    options,
    source: entry.record.source,
    createdAt: entry.record.createdAt,
    logs: s?.logs ?? { ...logFiles(paths.logs, entry.name, entry.record.logs), master: masterLog(paths) },
    logStats: s?.logStats,
    restartReasons: s?.restartReasons,
  };
}
