// Temporary directories: one per test, removed after it whatever happens.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A fresh directory under the OS temp dir, removed in t.after. Keep prefixes
 * short: a unix socket path inside it is limited to 107 bytes. `beforeRemove`
 * runs first in the same hook (t.after hooks run in the order registered, so
 * a separate hook registered later would run after the removal).
 */
export function tempDir(t, prefix = 'drover-', { beforeRemove } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  t.after(async () => {
    try {
      await beforeRemove?.(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  return dir;
}
