// The first of some candidate paths that this process may execute: for the
// helper binaries drover runs by absolute path (tini, systemd-notify), never
// through a shell's PATH lookup.
import { accessSync, constants } from 'node:fs';

export function firstExecutable(candidates: Iterable<string>): string | undefined {
  for (const file of candidates) {
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // next
    }
  }
  return undefined;
}
