// Counting the established TCP connections a process holds on a local port:
// the socket inodes behind /proc/<pid>/fd/* are matched against the entries of
// /proc/<pid>/net/tcp and tcp6 whose local port is `port` and whose state is
// 01 (ESTABLISHED). Synchronous on purpose: it runs right before a kill.
import fs from 'node:fs';

function socketInodes(pid) {
  const inodes = new Set();
  let fds;
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return inodes;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch {
      /* fd closed meanwhile */
    }
  }
  return inodes;
}

function establishedInodes(pid, port) {
  const out = new Set();
  for (const file of ['tcp', 'tcp6']) {
    let text;
    try {
      text = fs.readFileSync(`/proc/${pid}/net/${file}`, 'utf8');
    } catch {
      try {
        text = fs.readFileSync(`/proc/net/${file}`, 'utf8');
      } catch {
        continue;
      }
    }
    const lines = text.split('\n');
    for (let i = 1; i < lines.length; i++) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
      const f = lines[i].trim().split(/\s+/);
      if (f.length < 10) continue;
      const localPort = parseInt(f[1].split(':')[1], 16);
      if (localPort === port && f[3] === '01') out.add(f[9]);
    }
  }
  return out;
}

/** Number of ESTABLISHED TCP connections with local port `port` held open by `pid`. */
export function countEstablished(pid, port) {
  const mine = socketInodes(pid);
  if (mine.size === 0) return 0;
  let n = 0;
  for (const inode of establishedInodes(pid, port)) if (mine.has(inode)) n++;
  return n;
}
