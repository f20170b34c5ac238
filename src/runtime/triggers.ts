// Things that ask for a rolling reload on their own: file changes and a cron
// schedule. Each returns a function that stops it.
import path from 'node:path';
import { watch as chokidarWatch } from 'chokidar';
import { Cron } from 'croner';
import picomatch from 'picomatch';

const IGNORED = /(^|[/\\])(node_modules|\.[^/\\]+)([/\\]|$)/;

/**
 * Watches the app's cwd (ignoring node_modules and dot files); with globs, only
 * matching paths count. A burst of changes is debounced into one call with
 * every matching file of the burst.
 */
export function watchFiles(
  cwd: string,
  globs: boolean | readonly string[],
  debounceMs: number,
  onChange: (files: string[]) => void,
  onReady: () => void = () => {},
): () => Promise<void> {
  const matches = Array.isArray(globs) && globs.length > 0 ? picomatch(globs as string[], { dot: false }) : () => true;
  let timer: NodeJS.Timeout | undefined;
  const changed = new Set<string>();
  const watcher = chokidarWatch(cwd, {
    ignoreInitial: true,
    ignored: (p: string) => IGNORED.test(path.relative(cwd, p)),
  });
  watcher.on('ready', onReady);
  watcher.on('all', (_event, file) => {
    const rel = path.relative(cwd, file);
    if (!matches(rel)) return;
    changed.add(rel);
    clearTimeout(timer);
    timer = setTimeout(() => {
      const files = [...changed].sort();
      changed.clear();
      onChange(files);
    }, debounceMs);
  });
  return async () => {
    clearTimeout(timer);
    await watcher.close();
  };
}

export function cronSchedule(expression: string, onTick: () => void): () => void {
  const job = new Cron(expression, { protect: true }, onTick);
  return () => job.stop();
}
