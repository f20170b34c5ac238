// Node 24 for the scenarios that need it (drover's `reuseport` needs Node >= 22.12):
// the `node` package from the npm registry, installed under .cache/node24 when absent.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { runCommand } from './procs.js';
import { ROOT } from './subjects.js';

export const NODE24 = path.join(ROOT, '.cache/node24/node_modules/node/bin/node');
export const NODE24_INSTALL = 'npm install --prefix .cache/node24 --no-save --no-package-lock node@24';

function version(bin) {
  try {
    return execFileSync(bin, ['--version'], { stdio: ['ignore', 'pipe', 'ignore'], timeout: 10000 }).toString().trim();
  } catch {
    return null;
  }
}

let cached = null;

/** Resolves { path, version } or { unavailable: reason }; installs Node 24 once if it is missing. */
export async function ensureNode24(log = () => {}) {
  if (cached) return cached;
  if (!fs.existsSync(NODE24)) {
    log(`  Node 24 not found at ${path.relative(ROOT, NODE24)}: ${NODE24_INSTALL}`);
    const r = await runCommand('npm', NODE24_INSTALL.split(' ').slice(1), { cwd: ROOT, timeoutMs: 300000 });
    if (r.code !== 0 || !fs.existsSync(NODE24)) {
      cached = { unavailable: `Node 24 missing and \`${NODE24_INSTALL}\` failed (exit ${r.code}${r.timedOut ? ', timed out' : ''}): ${(r.stderr || r.stdout).trim().split('\n').slice(-2).join(' ')}` };
      return cached;
    }
  }
  const v = version(NODE24);
  const m = v && /^v(\d+)\.(\d+)/.exec(v);
  if (!m || Number(m[1]) < 22 || (Number(m[1]) === 22 && Number(m[2]) < 12)) {
    cached = { unavailable: `${path.relative(ROOT, NODE24)} is ${v ?? 'not runnable'} (need >= 22.12)` };
    return cached;
  }
  cached = { path: NODE24, version: v };
  return cached;
}
