// Group PSS (bench/lib/group-pss.js): the counting on a fake page table, and
// the pagemap reader on this process and a child (real /proc; the PFN part
// needs root, without it the reader must say "not available").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { groupPss, readGroupPss, residentPfns, residentRanges, PAGE_SIZE } from '../../bench/lib/group-pss.js';
import { smaps } from '../../bench/lib/memory.js';

test('groupPss: a page is split among the group processes mapping it, counted once per process', () => {
  // Page 7 is shared by all three, 8 by the first two (mapped twice in the first), 9 and 10 are private.
  const g = groupPss([[7, 8, 8, 9], [7, 8], [7, 10]], 100);
  assert.equal(g.total, 400); // four distinct frames, each counted once in full for the group
  assert.deepEqual(
    g.perProcess.map((x) => Math.round(x * 1000) / 1000),
    [100 / 3 + 50 + 100, 100 / 3 + 50, 100 / 3 + 100].map((x) => Math.round(x * 1000) / 1000),
  );
  assert.equal(Math.round(g.perProcess.reduce((a, b) => a + b, 0)), g.total);
  assert.deepEqual(groupPss([], 100), { total: 0, perProcess: [] });
});

test('groupPss: a process alone is charged every frame it maps, once', () => {
  const g = groupPss([new Set([1, 2, 3])]);
  assert.equal(g.total, 3 * PAGE_SIZE);
  assert.deepEqual(g.perProcess, [3 * PAGE_SIZE]);
});

test('the reader on this process and an idle child: group PSS within the pair, or "not available" without root', async () => {
  const child = spawn(process.execPath, ['-e', 'process.stdout.write("up\\n"); setInterval(() => {}, 1000)'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await once(child.stdout, 'data');
    assert.ok(residentRanges(child.pid).length > 0);
    const self = residentPfns(process.pid);
    const kid = residentPfns(child.pid);
    assert.ok(self && kid);
    const g = readGroupPss([process.pid, child.pid]);
    if (process.getuid?.() !== 0) {
      assert.equal(self.pfns.size, 0); // PFNs read as 0 without CAP_SYS_ADMIN
      assert.ok(self.zeroPfns > 0);
      assert.equal(g, null);
      return;
    }
    assert.equal(kid.zeroPfns, 0);
    // The child's resident pages as the kernel counts them (smaps' Rss), read close to the pagemap.
    const rss = smaps(child.pid).rss;
    assert.ok(Math.abs(kid.pfns.size * PAGE_SIZE - rss) < rss * 0.1, `${kid.pfns.size * PAGE_SIZE} vs ${rss}`);
    // Both run the same node binary: its resident text is shared, so the pair costs less than its two parts.
    assert.ok(g.total < (self.pfns.size + kid.pfns.size) * PAGE_SIZE);
    assert.ok(g.total >= Math.max(self.pfns.size, kid.pfns.size) * PAGE_SIZE);
    const parts = [...g.perPid.values()].reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(parts - g.total) < PAGE_SIZE);
    assert.ok(g.perPid.get(child.pid) < kid.pfns.size * PAGE_SIZE);
    // A gone process is left out, not an error.
    assert.equal(readGroupPss([child.pid, 2 ** 22 + 1]).perPid.size, 1);
  } finally {
    child.kill();
  }
});
