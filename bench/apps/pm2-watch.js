// Helper process for the PM2 subject: polls PM2's process list (the data that
// `pm2 jlist` prints) through PM2's programmatic API every POLL_MS and prints
// JSON lines in the same shape as drover's log:
//   {"time":<ms when the poll answer arrived>,"event":"online","pid":...,"pm_id":...,"poll_ms":...}
//   {"time":...,"event":"gone","pid":...,"pm_id":...}
// A `pm2 jlist` CLI call costs about 0.2 s (a new Node process each time), too
// coarse to time a worker replacement; one long-lived API client polls far
// more often. PM2_HOME must be set in the environment (the daemon to watch).
//
//   PM2_HOME=/tmp/x node bench/apps/pm2-watch.js [pollMs]
import fs from 'node:fs';
import path from 'node:path';
import pm2 from 'pm2';

const POLL_MS = Number(process.argv[2] || 20);
const home = process.env.PM2_HOME;
if (!home) {
  console.error('PM2_HOME is not set');
  process.exit(2);
}
// Never let the API client launch a daemon of its own: require a running one.
let daemonPid;
try {
  daemonPid = Number(fs.readFileSync(path.join(home, 'pm2.pid'), 'utf8'));
  process.kill(daemonPid, 0);
} catch {
  console.error(`no running PM2 daemon in ${home}`);
  process.exit(2);
}

const out = (obj) => process.stdout.write(JSON.stringify({ level: 30, time: Date.now(), ...obj }) + '\n');
const online = new Map(); // pid -> pm_id
let stopping = false;

function poll() {
  if (stopping) return;
  const sent = Date.now();
  pm2.list((err, list) => {
    if (stopping) return;
    if (err) {
      out({ event: 'poll-error', err: String(err.message || err) });
      return setTimeout(poll, POLL_MS);
    }
    const now = Date.now();
    const seen = new Set();
    for (const p of list) {
      if (!p.pid || p.pm2_env?.status !== 'online') continue;
      seen.add(p.pid);
      if (!online.has(p.pid)) {
        online.set(p.pid, p.pm_id);
        out({ time: now, event: 'online', pid: p.pid, pm_id: p.pm_id, poll_ms: now - sent, pm_uptime: p.pm2_env.pm_uptime });
      }
    }
    for (const [pid, pmId] of online) {
      if (!seen.has(pid)) {
        online.delete(pid);
        out({ time: now, event: 'gone', pid, pm_id: pmId });
      }
    }
    setTimeout(poll, POLL_MS);
  });
}

pm2.connect((err) => {
  if (err) {
    console.error(`pm2.connect: ${err.message || err}`);
    process.exit(1);
  }
  out({ event: 'watching', daemon: daemonPid, poll_ms: POLL_MS });
  poll();
});

const stop = () => {
  stopping = true;
  try {
    pm2.disconnect();
  } catch {
    /* ignore */
  }
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
