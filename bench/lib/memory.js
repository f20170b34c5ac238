// Memory of one process, three ways, from /proc/<pid>/smaps_rollup (Linux ≥ 4.14):
//   RSS: every resident page it maps, shared ones included (the node binary's
//        text counts in full in every node process);
//   PSS: each shared page divided among the processes that map it: PSS of a
//        set of processes adds up to what they cost together, so managers are
//        compared by their summed PSS;
//   USS: Private_Clean + Private_Dirty, what ending the process would free.
// PSS depends on who else maps the same pages at the moment it is read: two
// managers' processes measured at once share the node binary and lower each
// other's PSS, so each manager is measured alone (cli.js runs them in turn).
import fs from 'node:fs';

// PSS within a set of processes, independent of the rest of the host (issue 17).
export { readGroupPss } from './group-pss.js';

const KB = 1024;

/** { rss, pss, uss } in bytes, or null when the process is gone (or not readable). */
export function smaps(pid) {
  let text;
  try {
    text = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  } catch {
    return null;
  }
  const field = (name) => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) * KB : 0;
  };
  return { rss: field('Rss'), pss: field('Pss'), uss: field('Private_Clean') + field('Private_Dirty') };
}

/** Field-wise sum of smaps() results; nulls (gone processes) count as nothing. */
export function sumMemory(list) {
  const out = { rss: 0, pss: 0, uss: 0 };
  for (const m of list) {
    if (!m) continue;
    out.rss += m.rss;
    out.pss += m.pss;
    out.uss += m.uss;
  }
  return out;
}

export const toMB = (bytes) => (bytes == null ? null : bytes / 2 ** 20);

/**
 * The least a set of processes could cost with the same structure (issue 17):
 * each process whose role is in `atFloor` (the manager's own node processes:
 * daemon, app masters) costs as if its private memory were the bare-node
 * floor `floorUss` (USS of an idle `node -e` timer read while the set runs, so
 * the binary's pages are shared as theirs are), its shared pages as measured;
 * every other process (workers, helpers) as measured. `procs`: [{ role, mem }].
 * Returns the bound's PSS in bytes, or null without a floor.
 */
export function floorBoundPss(procs, floorUss, atFloor) {
  if (floorUss == null) return null;
  let pss = 0;
  for (const p of procs) {
    if (!p.mem) continue;
    pss += atFloor.has(p.role) ? p.mem.pss - p.mem.uss + Math.min(p.mem.uss, floorUss) : p.mem.pss;
  }
  return pss;
}
