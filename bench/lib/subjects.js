// The subjects compared: each runs examples/hello.js with 2 workers on a given
// port. start() resolves once the app answers HTTP 200 and the expected number
// of workers is up; the returned object tracks the live worker pids from the
// subject's JSON lifecycle lines and stops everything it started.
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitForHttp200 } from './http.js';
import { describeOutput, onCleanup, pidAlive, runCommand, startProcess, stopProcess } from './procs.js';
import { pollUntil, sleep } from './time.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, '../..');
export const APP = 'examples/hello.js';
export const WORKERS = 2;
const NODE = process.execPath;
const DROVER_MAIN = path.join(ROOT, 'dist/cli/main.js');
const PM2_BIN = path.join(ROOT, 'node_modules/.bin/pm2');
const START_DEADLINE_MS = 20000;

/**
 * Live workers, from lifecycle lines { event, pid, time }. `upEvent` is the line
 * that makes a worker count as up ('listening', or 'online' for PM2); 'exit'
 * and 'gone' remove it. Emits 'up' ({ pid, time, seenAt }).
 */
export class WorkerTracker extends EventEmitter {
  constructor(upEvent) {
    super();
    this.upEvent = upEvent;
    this.live = new Map(); // pid -> time it came up (subject's clock = ours)
    this.everSeen = new Set();
  }

  feed(obj, seenAt) {
    const pid = Number(obj.pid);
    if (!pid) return;
    if (obj.event === this.upEvent) {
      if (this.everSeen.has(pid)) return; // e.g. one line per listen() call
      this.everSeen.add(pid);
      const time = Number(obj.time) || seenAt;
      this.live.set(pid, time);
      this.emit('up', { pid, time, seenAt });
    } else if (obj.event === 'exit' || obj.event === 'gone') {
      this.live.delete(pid);
    }
  }

  markDead(pid) {
    this.live.delete(pid);
  }

  /** Live pids, oldest first. */
  pids() {
    return [...this.live.entries()].sort((a, b) => a[1] - b[1]).map(([pid]) => pid);
  }

  /** Next worker that comes up and is not in `known`; resolves null after timeoutMs. */
  nextUp(known, timeoutMs) {
    return new Promise((resolve) => {
      const onUp = (ev) => {
        if (known.has(ev.pid)) return;
        clearTimeout(timer);
        this.off('up', onUp);
        resolve(ev);
      };
      const timer = setTimeout(() => {
        this.off('up', onUp);
        resolve(null);
      }, timeoutMs);
      this.on('up', onUp);
    });
  }
}

async function waitReady({ url, tracker, handles, what }) {
  const t0 = Date.now();
  const deadline = t0 + START_DEADLINE_MS;
  const died = Promise.all(handles.map((h) => h.exited)).then(() => {
    throw new Error(`${what} exited during startup`);
  });
  died.catch(() => {});
  await Promise.race([
    (async () => {
      await waitForHttp200(url, { deadlineMs: START_DEADLINE_MS });
      await pollUntil(() => tracker.live.size >= WORKERS, {
        deadline,
        what: `${WORKERS} workers to log '${tracker.upEvent}'`,
      });
    })(),
    died,
  ]);
  return Date.now() - t0;
}

/** A subject whose master writes JSON lifecycle lines on stdout (drover, node-cluster). */
export function logSubject({ id, label, command, cmd, args, env = {}, note, available = () => null }) {
  return {
    id,
    label,
    command,
    note,
    upEvent: 'listening',
    replacementMethod: "kill → the master's own `time` field on the replacement's `listening` JSON line",
    available,
    async start({ port }) {
      const url = `http://127.0.0.1:${port}/`;
      const tracker = new WorkerTracker('listening');
      const proc = startProcess({ name: id, cmd, args, env: { ...env, PORT: String(port) }, cwd: ROOT });
      proc.events.on('json', (obj, at) => tracker.feed(obj, at));
      let startupMs;
      try {
        startupMs = await waitReady({ url, tracker, handles: [proc], what: label });
      } catch (err) {
        await stopProcess(proc, { timeoutMs: 3000 });
        throw new Error(`${label} did not start: ${err.message}. ${describeOutput(proc)}`);
      }
      return {
        port,
        url,
        tracker,
        startupMs,
        master: proc, // the handle from startProcess: pid, events ('json' lines), json
        processes: () => [proc.pid, ...tracker.pids()],
        async stop() {
          const r = await stopProcess(proc, { signal: 'SIGTERM', timeoutMs: 8000 });
          return { ...r, clean: r.code === 0 && !r.forced && !r.stragglers };
        },
      };
    },
  };
}

/**
 * A drover subject: `node dist/cli/main.js run <app> -i <workers> <extra...>`.
 * `node` is the Node binary (default: the one running the harness), `nodeName`
 * how the command line shows it.
 */
export function droverSubject({ id = 'drover', label = 'drover', app = APP, extra = [], workers = WORKERS, node = NODE, nodeName = 'node' } = {}) {
  return logSubject({
    id,
    label,
    command: `PORT=<port> ${nodeName} dist/cli/main.js run ${app} -i ${workers}${extra.length ? ' ' + extra.join(' ') : ''}`,
    cmd: node,
    args: [DROVER_MAIN, 'run', app, '-i', String(workers), ...extra],
    available: () => (fs.existsSync(DROVER_MAIN) ? null : `${path.relative(ROOT, DROVER_MAIN)} is missing (build failed or CLI not written yet)`),
  });
}

/** bench/apps/node-cluster.js with `sched` ('rr' | 'none'). */
export function nodeClusterSubject({ id, label, sched, app = APP, node = NODE, nodeName = 'node' }) {
  return logSubject({
    id,
    label,
    command: `PORT=<port> ${nodeName} bench/apps/node-cluster.js --sched=${sched} ${app}`,
    cmd: node,
    args: [path.join(ROOT, 'bench/apps/node-cluster.js'), `--sched=${sched}`, `--workers=${WORKERS}`, app],
  });
}

export const drover = droverSubject();

export const nodeClusterRR = nodeClusterSubject({ id: 'node-rr', label: 'Node cluster RR', sched: 'rr' });

export const nodeClusterNone = nodeClusterSubject({ id: 'node-none', label: 'Node cluster SCHED_NONE', sched: 'none' });

/** Pids of live (non-zombie) processes whose environment holds PM2_HOME=home (the daemon and its workers). */
function pidsWithPm2Home(home) {
  const needle = Buffer.from(`PM2_HOME=${home}\0`);
  const found = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      if (/^\d+ \(.*\) Z /.test(fs.readFileSync(`/proc/${d}/stat`, 'utf8'))) continue;
      if (fs.readFileSync(`/proc/${d}/environ`).includes(needle)) found.push(Number(d));
    } catch {
      /* gone or not ours */
    }
  }
  return found;
}

async function pm2Kill(home) {
  const r = await runCommand(PM2_BIN, ['kill'], { env: { PM2_HOME: home }, cwd: ROOT, timeoutMs: 20000 });
  // Whatever survives `pm2 kill` for 3 s (daemon, workers) is ended by pid.
  const deadline = Date.now() + 3000;
  while (pidsWithPm2Home(home).length && Date.now() < deadline) await sleep(50);
  const leftovers = pidsWithPm2Home(home).filter(pidAlive);
  for (const pid of leftovers) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  if (leftovers.length) await sleep(200);
  fs.rmSync(home, { recursive: true, force: true });
  return { code: r.code, leftovers };
}

/**
 * PM2 in cluster mode running `app` with 2 instances, under a temporary PM2_HOME.
 * The running object also has `home`, `name` (PM2's app name: the script's base
 * name) and `cli(args, opts)` to run a `pm2` command against this daemon.
 */
export function pm2Subject({ id = 'pm2', label = 'PM2 (cluster mode)', app = APP } = {}) {
  return {
    id,
    label,
    command: `PM2_HOME=<tmp> PORT=<port> pm2 start ${app} -i ${WORKERS}; …; pm2 kill`,
    upEvent: 'online',
    replacementMethod:
      "kill → the new pid seen with status `online` by polling PM2's process list (the data of `pm2 jlist`) every 20 ms through PM2's API; PM2's `online` is the cluster worker's `online` event, which comes before `listening`",
    available: () => (fs.existsSync(PM2_BIN) ? null : 'node_modules/.bin/pm2 is missing'),
    async start({ port }) {
      const url = `http://127.0.0.1:${port}/`;
      const home = fs.mkdtempSync(path.join(os.tmpdir(), 'drover-bench-pm2-'));
      const env = { PM2_HOME: home };
      let killed = null;
      const kill = () => (killed ??= pm2Kill(home));
      const unregister = onCleanup(kill);
      let watcher = null;
      try {
        const r = await runCommand(PM2_BIN, ['start', app, '-i', String(WORKERS)], {
          env: { ...env, PORT: String(port) },
          cwd: ROOT,
          timeoutMs: 30000,
        });
        if (r.code !== 0) throw new Error(`pm2 start exited ${r.code}: ${(r.stderr || r.stdout).slice(-500)}`);
        const tracker = new WorkerTracker('online');
        watcher = startProcess({
          name: 'pm2-watch',
          cmd: NODE,
          args: [path.join(ROOT, 'bench/apps/pm2-watch.js'), '20'],
          env,
          cwd: ROOT,
        });
        watcher.events.on('json', (obj, at) => tracker.feed(obj, at));
        let startupMs;
        try {
          startupMs = await waitReady({ url, tracker, handles: [watcher], what: 'pm2 watcher' });
        } catch (err) {
          throw new Error(`${err.message}. ${describeOutput(watcher)}`);
        }
        const w = watcher;
        return {
          port,
          url,
          tracker,
          startupMs,
          home,
          name: path.basename(app).replace(/\.[cm]?js$/, ''),
          cli: (args, opts = {}) => runCommand(PM2_BIN, args, { env, cwd: ROOT, timeoutMs: 30000, ...opts }),
          processes: () => tracker.pids(),
          async stop() {
            await stopProcess(w, { timeoutMs: 3000 });
            const k = await kill();
            unregister();
            return { code: k.code, leftovers: k.leftovers, clean: k.code === 0 && k.leftovers.length === 0 };
          },
        };
      } catch (err) {
        if (watcher) await stopProcess(watcher, { timeoutMs: 3000 });
        await kill();
        unregister();
        throw new Error(`PM2 did not start: ${err.message}`);
      }
    },
  };
}

export const pm2 = pm2Subject();

/** All subjects, in report order. */
export const SUBJECTS = [drover, nodeClusterRR, nodeClusterNone, pm2];
