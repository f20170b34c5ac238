// Where drover keeps its state: DROVER_HOME (default ~/.drover), shared by
// the CLI, the daemon and the app masters.
//
//   daemon.sock      control socket of the daemon (0600)
//   daemon.pid       pid of the running daemon; left behind only by a crash
//   dump.json        `drover save` (0600, no secret env values)
//   apps/<name>.sock control socket of each app master (0600)
//   logs/            app logs, master logs, daemon.log
//   cache/           V8 compile cache of drover's own modules (Node >= 22.1; runtime/compile-cache.ts); Node 20: the spec bundle's code cache (runtime/code-cache.ts)
//
// The directories are 0700: the sockets accept commands that start programs,
// so only the owner may reach them (PM2 leaves its sockets 0775). A home that
// another user could change is refused (home-trust.ts).
import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { DroverError } from '../errors.js';
import { checkHomeTrust } from '../platform/home-trust.js';
import { requireFromDrover } from '../platform/install-dir.cjs';

export interface DroverPaths {
  readonly home: string;
  readonly socket: string;
  readonly pidFile: string;
  readonly dump: string;
  readonly apps: string;
  readonly logs: string;
  readonly daemonLog: string;
  readonly cache: string;
}

/** A unix socket path has at most 107 bytes on Linux (sun_path is 108 with the NUL). */
const MAX_SOCKET_PATH = 107;

/**
 * os.homedir() without loading node:os when HOME is set: on POSIX, libuv's
 * uv_os_homedir() answers $HOME whenever it is set (empty too), and reads
 * the passwd entry only without it; Windows looks at USERPROFILE. node:os is
 * ~0.5 ms of a `drover list` on Node 20, which loads nothing else that needs
 * it (issue 17).
 */
function homeDir(): string {
  const home = process.platform === 'win32' ? undefined : process.env.HOME;
  return home ?? (requireFromDrover('node:os') as typeof import('node:os')).homedir();
}

export function droverPaths(env: Readonly<Record<string, string | undefined>> = process.env): DroverPaths {
  const home = path.resolve(env.DROVER_HOME || path.join(homeDir(), '.drover'));
  const logs = path.join(home, 'logs');
  return {
    home,
    socket: path.join(home, 'daemon.sock'),
    pidFile: path.join(home, 'daemon.pid'),
    dump: path.join(home, 'dump.json'),
    apps: path.join(home, 'apps'),
    logs,
    daemonLog: path.join(logs, 'daemon.log'),
    cache: path.join(home, 'cache'),
  };
}

export function appSocket(paths: DroverPaths, name: string): string {
  const file = path.join(paths.apps, `${name}.sock`);
  if (Buffer.byteLength(file) > MAX_SOCKET_PATH) {
    throw new DroverError(
      'DROVER_E_INVALID_OPTION',
      `app name ${JSON.stringify(name)} makes its control socket path ${file} longer than ${MAX_SOCKET_PATH} bytes: give it a shorter --name, or use a shorter DROVER_HOME`,
      { name },
    );
  }
  return file;
}

/**
 * What app masters write to stderr themselves (fatal errors; their normal
 * output goes to the app logs). One file for all: a standby master is started
 * before it knows its app, so its lines carry the app name instead.
 */
export function masterLog(paths: DroverPaths): string {
  return path.join(paths.logs, 'masters.log');
}

/** Checks that DROVER_HOME can be trusted (home-trust.ts), creates it, apps/ and logs/ (0700) and checks that they are writable. */
export function ensureHome(paths: DroverPaths): void {
  // hook (issue 15): refuse a home another user could change; drover never chmods a directory it did not create.
  checkHomeTrust(paths.home, [paths.apps, paths.logs, paths.cache]);
  for (const dir of [paths.home, paths.apps, paths.logs]) {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const st = statSync(dir);
      if (!st.isDirectory()) throw Object.assign(new Error(`${dir} is not a directory`), { code: 'ENOTDIR' });
      accessSync(dir, constants.W_OK | constants.X_OK);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new DroverError(
        'DROVER_E_HOME_NOT_WRITABLE',
        `DROVER_HOME ${paths.home} is not usable: ${dir}: ${e.code ?? ''} ${e.message.replace(/^\w+: /, '')}: fix its permissions or set DROVER_HOME to a writable directory`,
        { home: paths.home, dir, cause: e.code },
      );
    }
  }
  if (Buffer.byteLength(paths.socket) > MAX_SOCKET_PATH) {
    throw new DroverError(
      'DROVER_E_HOME_NOT_WRITABLE',
      `DROVER_HOME ${paths.home} is too long for unix sockets (at most ${MAX_SOCKET_PATH} bytes per socket path): set DROVER_HOME to a shorter path`,
      { home: paths.home },
    );
  }
}

/** App names become file names (socket, logs) and command targets. */
export function checkAppName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name) || name === 'all') {
    throw new DroverError(
      'DROVER_E_INVALID_OPTION',
      `app name ${JSON.stringify(name)} is not usable: use 1 to 64 letters, digits, ".", "_" or "-" (starting with a letter or digit), and not "all"; pass --name`,
      { name },
    );
  }
}
