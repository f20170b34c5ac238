// Process start/stop with guaranteed cleanup.
//
// Every process is spawned `detached`, i.e. as the leader of a new process
// group, so that it and everything it forks (cluster workers) can be killed
// together with kill(-pgid). Every group is remembered until it is verified
// empty; on exit, on SIGINT/SIGTERM and on an uncaught error the remaining
// groups are SIGKILLed and the registered async cleanups (e.g. `pm2 kill`)
// are run, so no benchmark process is left behind.
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import readline from 'node:readline';
import { sleep } from './time.js';

const groups = new Set(); // pgids that may still have members
const cleanups = new Set(); // async () => void, run once on shutdown

const TAIL = 40;

// Every process this run starts (and everything they start, PM2's daemon
// included) inherits this variable, which makes leftovers findable by pid.
const RUN_ID = `${process.pid}-${Date.now()}`;
process.env.DROVER_BENCH_RUN = RUN_ID;

/** Pids of live processes (other than this one) that carry this run's mark; zombies excluded. */
export function markedPids() {
  const needle = Buffer.from(`DROVER_BENCH_RUN=${RUN_ID}\0`);
  const found = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      if (/^\d+ \(.*\) Z /.test(stat)) continue;
      if (fs.readFileSync(`/proc/${d}/environ`).includes(needle)) found.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return found;
}

/** SIGKILLs every marked process still alive; resolves with the pids found. */
export async function killMarked() {
  const pids = markedPids();
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  if (pids.length) await sleep(200);
  return pids;
}

export function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

export function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

function killGroup(pgid, signal) {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Spawns `cmd args` as a new process group.
 * Returns a handle: { name, pid, child, events, exited (promise of {code, signal}),
 * json (all JSON lines parsed from stdout), stdoutTail, stderrTail, commandLine }.
 * `events` emits 'json' (obj, receivedAt) for every stdout line that parses as JSON
 * and 'line' (text) for the others.
 */
export function startProcess({ name, cmd, args = [], env = {}, cwd = process.cwd() }) {
  const child = spawn(cmd, args, {
    cwd,
    env: { ...process.env, ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events = new EventEmitter();
  const handle = {
    name,
    pid: child.pid,
    child,
    events,
    json: [],
    stdoutTail: [],
    stderrTail: [],
    commandLine: [cmd, ...args].join(' '),
    exitInfo: null,
  };
  if (child.pid) groups.add(child.pid);

  handle.exited = new Promise((resolve) => {
    child.once('error', (err) => {
      handle.exitInfo = { code: null, signal: null, error: err.message };
      resolve(handle.exitInfo);
    });
    child.once('exit', (code, signal) => {
      handle.exitInfo = { code, signal };
      resolve(handle.exitInfo);
    });
  });

  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    const at = Date.now();
    let obj = null;
    if (line.startsWith('{')) {
      try {
        obj = JSON.parse(line);
      } catch {
        obj = null;
      }
    }
    handle.stdoutTail.push(line);
    if (handle.stdoutTail.length > TAIL) handle.stdoutTail.shift();
    if (obj && typeof obj === 'object') {
      handle.json.push(obj);
      events.emit('json', obj, at);
    } else {
      events.emit('line', line);
    }
  });
  readline.createInterface({ input: child.stderr }).on('line', (line) => {
    handle.stderrTail.push(line);
    if (handle.stderrTail.length > TAIL) handle.stderrTail.shift();
  });
  return handle;
}

/** Diagnostic text for error messages. */
export function describeOutput(handle) {
  const parts = [];
  if (handle.exitInfo) parts.push(`exited: ${JSON.stringify(handle.exitInfo)}`);
  if (handle.stderrTail.length) parts.push(`stderr: ${handle.stderrTail.slice(-8).join(' | ')}`);
  if (handle.stdoutTail.length) parts.push(`stdout: ${handle.stdoutTail.slice(-5).join(' | ')}`);
  return parts.join('; ');
}

/**
 * Stops a process started with startProcess: `signal` to the leader, wait up
 * to `timeoutMs` for it to exit, then SIGKILL the whole group; finally make
 * sure the group is empty (SIGKILL any straggler, e.g. orphaned workers).
 * Resolves with { code, signal, forced, stragglers }.
 */
export async function stopProcess(handle, { signal = 'SIGTERM', timeoutMs = 8000 } = {}) {
  let forced = false;
  if (!handle.exitInfo && handle.pid) {
    try {
      process.kill(handle.pid, signal);
    } catch {
      /* already gone */
    }
    const timer = sleep(timeoutMs).then(() => 'timeout');
    if ((await Promise.race([handle.exited, timer])) === 'timeout') {
      forced = true;
      killGroup(handle.pid, 'SIGKILL');
      await handle.exited;
    }
  }
  const stragglers = await reapGroup(handle.pid);
  return { ...(handle.exitInfo ?? {}), forced, stragglers };
}

/** SIGKILLs what is left of a group and waits until it is empty. Returns true if anything was left. */
async function reapGroup(pgid, waitMs = 3000) {
  if (!pgid) return false;
  let had = false;
  // Give members that exit by themselves (workers seeing their IPC channel close) a moment.
  const soft = Date.now() + 500;
  while (groupAlive(pgid) && Date.now() < soft) await sleep(20);
  const deadline = Date.now() + waitMs;
  while (groupAlive(pgid)) {
    had = true;
    killGroup(pgid, 'SIGKILL');
    if (Date.now() > deadline) throw new Error(`process group ${pgid} survives SIGKILL`);
    await sleep(20);
  }
  groups.delete(pgid);
  return had;
}

/**
 * Runs a short command to completion (output captured), in its own group,
 * killed with its group after `timeoutMs`. Resolves { code, signal, stdout, stderr }.
 */
export async function runCommand(cmd, args, { env = {}, cwd = process.cwd(), timeoutMs = 30000 } = {}) {
  const child = spawn(cmd, args, {
    cwd,
    env: { ...process.env, ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid) groups.add(child.pid);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    if (child.pid) killGroup(child.pid, 'SIGKILL');
  }, timeoutMs);
  const { code, signal } = await new Promise((resolve) => {
    child.once('error', (err) => resolve({ code: null, signal: null, err }));
    child.once('close', (c, s) => resolve({ code: c, signal: s }));
  });
  clearTimeout(timer);
  // The group may hold a daemon that left it (setsid); what remains is ours to end.
  if (child.pid) killGroup(child.pid, 'SIGKILL');
  if (child.pid) groups.delete(child.pid);
  return { code, signal, stdout, stderr, timedOut };
}

/** Registers an async cleanup to run on shutdown (and on failure); returns an unregister function. */
export function onCleanup(fn) {
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

/** Runs all registered cleanups, then SIGKILLs every remembered process group. */
export async function cleanupAll() {
  for (const fn of [...cleanups]) {
    cleanups.delete(fn);
    try {
      await fn();
    } catch (err) {
      process.stderr.write(`cleanup failed: ${err.message}\n`);
    }
  }
  for (const pgid of [...groups]) await reapGroup(pgid).catch(() => {});
  await killMarked();
}

function killAllSync() {
  for (const pgid of groups) killGroup(pgid, 'SIGKILL');
  for (const pid of markedPids()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

let installed = false;
/** Installs exit/signal/error handlers that end every process this run started. */
export function installCleanupHandlers() {
  if (installed) return;
  installed = true;
  process.on('exit', killAllSync);
  const bail = (code, why) => {
    process.stderr.write(`\nbench: ${why}; cleaning up...\n`);
    cleanupAll().finally(() => process.exit(code));
  };
  process.once('SIGINT', () => bail(130, 'SIGINT'));
  process.once('SIGTERM', () => bail(143, 'SIGTERM'));
  process.once('SIGHUP', () => bail(129, 'SIGHUP'));
  process.on('uncaughtException', (err) => bail(1, `uncaught ${err.stack || err}`));
  process.on('unhandledRejection', (err) => bail(1, `unhandled rejection ${err?.stack || err}`));
}

/** Groups still remembered (for the final leak check). */
export function liveGroups() {
  return [...groups].filter(groupAlive);
}
