// Group PSS (issue 17): what a set of processes costs together, independent of
// the rest of the host. The kernel's PSS divides each resident page among
// every process on the host mapping it, so a manager's summed PSS moves when
// other users' node processes (sharing the node binary's text, libc, ...) come
// and go. Here each physical page (PFN, from /proc/<pid>/pagemap) mapped by the
// group is divided among the group's processes mapping it only: a page shared
// with the host outside the group counts once, in full, for the group. For a
// group alone on a quiet host it equals the summed PSS.
// Differences from smaps' PSS, both small: a page mapped twice in one process
// counts once for it (the kernel counts each mapping), and the shared zero page
// and VM_PFNMAP pages (which smaps leaves out of Rss) count here once each.
import fs from 'node:fs';

export const PAGE_SIZE = 4096;
const ENTRY = 8; // bytes of pagemap per virtual page
const CHUNK_PAGES = 16384; // 128 KiB of pagemap per read
const PRESENT = 0x80000000; // bit 63, in the high 32-bit word
const PFN_HIGH_MASK = 0x7fffff; // bits 32–54

/**
 * The counting, pure: `pages` is one iterable of PFNs per process (repeats
 * within a process count once). Returns { total, perProcess } in bytes: each
 * PFN adds pageSize ÷ (its number of mappers in the group) to each mapper.
 */
export function groupPss(pages, pageSize = PAGE_SIZE) {
  const sets = pages.map((p) => (p instanceof Set ? p : new Set(p)));
  const mappers = new Map();
  for (const s of sets) for (const pfn of s) mappers.set(pfn, (mappers.get(pfn) ?? 0) + 1);
  const perProcess = sets.map((s) => {
    let share = 0;
    for (const pfn of s) share += 1 / mappers.get(pfn);
    return share * pageSize;
  });
  return { total: mappers.size * pageSize, perProcess };
}

/** [start, end) virtual ranges with resident pages, from /proc/<pid>/smaps (V8's large empty reservations are skipped). */
export function residentRanges(pid) {
  const text = fs.readFileSync(`/proc/${pid}/smaps`, 'utf8');
  const ranges = [];
  let cur = null;
  for (const line of text.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) /.exec(line);
    if (head) {
      cur = [parseInt(head[1], 16), parseInt(head[2], 16)];
      continue;
    }
    if (cur && line.startsWith('Rss:')) {
      if (!/^Rss:\s+0 kB/.test(line)) ranges.push(cur);
      cur = null;
    }
  }
  return ranges;
}

/**
 * The set of PFNs of the present pages of `pid`, or null when the process is
 * gone or not readable. PFNs read as 0 without CAP_SYS_ADMIN: `zeroPfns`
 * counts present pages with PFN 0 so the caller can tell.
 */
export function residentPfns(pid) {
  let fd;
  try {
    const ranges = residentRanges(pid);
    fd = fs.openSync(`/proc/${pid}/pagemap`, 'r');
    const buf = Buffer.alloc(CHUNK_PAGES * ENTRY);
    const pfns = new Set();
    let zeroPfns = 0;
    for (const [start, end] of ranges) {
      for (let page = start / PAGE_SIZE; page < end / PAGE_SIZE; page += CHUNK_PAGES) {
        const n = Math.min(CHUNK_PAGES, end / PAGE_SIZE - page);
        const got = fs.readSync(fd, buf, 0, n * ENTRY, page * ENTRY) / ENTRY;
        for (let i = 0; i < got; i++) {
          const high = buf.readUInt32LE(i * ENTRY + 4);
          if (!(high & PRESENT)) continue;
          const pfn = (high & PFN_HIGH_MASK) * 2 ** 32 + buf.readUInt32LE(i * ENTRY);
          if (pfn === 0) zeroPfns++;
          else pfns.add(pfn);
        }
      }
    }
    return { pfns, zeroPfns };
  } catch {
    return null;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Group PSS of `pids`, read in one pass: { total, perPid: Map<pid, bytes> }
 * in bytes, or null when it is not available (PFNs hidden: not root, or no
 * process readable). A process gone mid-read is left out.
 */
export function readGroupPss(pids) {
  const read = pids.map((pid) => ({ pid, r: residentPfns(pid) })).filter((x) => x.r);
  if (!read.length || read.some((x) => x.r.zeroPfns > 0 && x.r.pfns.size === 0)) return null;
  const g = groupPss(read.map((x) => x.r.pfns));
  return { total: g.total, perPid: new Map(read.map((x, i) => [x.pid, g.perProcess[i]])) };
}
