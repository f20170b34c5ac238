// `drover start npm -- start` (PM2's idiom for npm scripts): a script that is
// not a file in the app's directory but a bare command name is looked up on
// PATH, as a shell would, and run as an executable (no shell is involved).
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The absolute path of a bare command name on PATH, or undefined. */
export function findOnPath(name: string, searchPath = process.env.PATH ?? ''): string | undefined {
  if (name === '' || name.includes('/') || name.includes(path.sep)) return undefined;
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir || !path.isAbsolute(dir)) continue;
    const file = path.join(dir, name);
    if (isExecutableFile(file)) return file;
  }
  return undefined;
}

/** The script's absolute path: the file in cwd when it exists, else a command on PATH, else the path in cwd (reported as missing later). */
export function resolveScriptPath(cwd: string, script: string, searchPath?: string): string {
  const inCwd = path.resolve(cwd, script);
  try {
    statSync(inCwd);
    return inCwd;
  } catch {
    return findOnPath(script, searchPath) ?? inCwd;
  }
}
