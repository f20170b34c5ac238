// `drover run` as PID 1 of a new PID namespace (unshare --pid --fork
// --mount-proc; root only). Pids inside the namespace mean nothing outside it,
// so the namespace is ended as a whole: SIGKILL of its init kills every
// process in it. Zombies are found from the host's /proc by the namespace's
// ns/pid link.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { CLI } from './drover.js';
import { childrenOf } from './procs.js';
import { waitFor, withTimeout } from './wait.js';

export function pidNamespaceSkipReason() {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root (unshare --pid needs it)';
  const probe = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'true'], { stdio: 'ignore', timeout: 10_000 });
  if (probe.status !== 0) return `unshare --pid --fork --mount-proc failed (${probe.error?.message ?? `status ${probe.status}`})`;
  return undefined;
}

const stateOf = (pid) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2];
  } catch {
    return undefined;
  }
};

export function runInPidNamespace(t, args, { env = {}, node = process.execPath } = {}) {
  const child = spawn('unshare', ['--pid', '--fork', '--mount-proc', node, CLI, 'run', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const ns = { records: [], stderr: '', exitInfo: undefined, init: undefined, nsLink: undefined };
  let buffer = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    buffer += chunk;
    for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
      try {
        ns.records.push(JSON.parse(buffer.slice(0, nl)));
      } catch {}
      buffer = buffer.slice(nl + 1);
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (c) => (ns.stderr += c));
  const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve((ns.exitInfo = { code, signal }))));
  const killAll = () => {
    if (ns.init) {
      try {
        process.kill(ns.init, 'SIGKILL');
      } catch {}
    }
    child.kill('SIGKILL');
  };
  t.after(async () => {
    killAll();
    await withTimeout(exited, 10_000, 'unshare to exit').catch(() => {});
  });
  return Object.assign(ns, {
    child,
    /** The host pid of the namespace's PID 1 (drover, or tini after an execve). */
    async initPid() {
      ns.init ??= await waitFor(() => childrenOf(child.pid)[0], { timeoutMs: 10_000, message: 'the namespace init' });
      ns.nsLink ??= readlinkSync(`/proc/${ns.init}/ns/pid`);
      return ns.init;
    },
    events: (name) => ns.records.filter((r) => r.event === name),
    waitEvent: (name, timeoutMs = 30_000) =>
      waitFor(() => ns.records.find((r) => r.event === name), { timeoutMs, message: `'${name}' from drover in the namespace (stderr: ${ns.stderr.slice(-500)})` }),
    port() {
      const e = ns.records.find((r) => r.event === 'listening');
      return e && Number(/:(\d+)$/.exec(e.address)[1]);
    },
    /** Host pids of the namespace's processes in state Z. */
    zombies() {
      const out = [];
      for (const name of readdirSync('/proc')) {
        if (!/^\d+$/.test(name)) continue;
        try {
          if (readlinkSync(`/proc/${name}/ns/pid`) === ns.nsLink && stateOf(name) === 'Z') out.push(Number(name));
        } catch {}
      }
      return out;
    },
    async signal(sig) {
      process.kill(await ns.initPid(), sig);
    },
    wait: (timeoutMs = 30_000) => withTimeout(exited, timeoutMs, `drover in the namespace to exit (stderr: ${ns.stderr.slice(-500)})`),
  });
}
