// A file's text, or undefined where it cannot be read (missing, no
// permission, a cgroup file gone with its group): for /proc and /sys files
// whose absence is an answer, not an error.
import { readFileSync } from 'node:fs';

export function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
