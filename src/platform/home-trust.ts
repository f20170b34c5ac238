// Whether DROVER_HOME can be trusted, decided the way OpenSSH's StrictModes
// decides about ~/.ssh (misc.c safe_path()): what is in the home starts
// programs (dump.json is replayed by `drover resurrect`, daemon.sock receives
// launch records with their environment), so nobody but the caller may be
// able to change what is in it, or swap the directory itself.
//
// The rule (docs/architecture.md, "Trusting DROVER_HOME"):
// - the home and drover's directories in it (apps/, logs/, cache/) are real
//   directories, not symlinks, owned by the caller, and writable by no group
//   or other user (a sticky bit does not make a home safe: /tmp is not a home);
// - every directory above the home, after resolving symlinks, is owned by
//   root or by the caller, and writable by group or others only when it has
//   the sticky bit (as /tmp does: there, nobody can rename or remove an entry
//   they do not own);
// - a directory drover did not create is never chmod'ed.
// A home that does not exist yet is created 0700 by drover and is fine.
//
// Not checked: the files in the home (they are created 0600 by drover, and
// nobody else can write the directory), ACLs (as ssh).
import { lstatSync, mkdirSync, realpathSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { DroverError } from '../errors.js';

const FIX = 'make it owned by you and not writable by group or others (chmod go-w), or set DROVER_HOME to a directory of your own (default ~/.drover)';

function unsafe(home: string, what: string, details: Record<string, unknown>): DroverError {
  return new DroverError('DROVER_E_HOME_UNSAFE', `DROVER_HOME ${home} is not safe to use: ${what}: ${FIX}`, { home, ...details });
}

/** undefined when nothing is there (or a file sits where a directory should: ensureHome reports that). */
function lstatOrUndefined(p: string): Stats | undefined {
  try {
    return lstatSync(p);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

const ownerName = (uid: number) => (uid === 0 ? 'root' : `uid ${uid}`);

/** The home itself or a directory drover keeps in it: ours, real, not writable by others. */
function checkOwnDir(home: string, dir: string, uid: number): void {
  const st = lstatOrUndefined(dir);
  if (!st) return;
  if (st.isSymbolicLink()) throw unsafe(home, `${dir} is a symbolic link (a home must be the real directory, so nobody can point it elsewhere)`, { dir });
  if (!st.isDirectory()) return; // ensureHome reports "not a directory"
  if (st.uid !== uid) throw unsafe(home, `${dir} is owned by ${ownerName(st.uid)}, not by you (${ownerName(uid)})`, { dir, owner: st.uid });
  if ((st.mode & 0o022) !== 0) throw unsafe(home, `${dir} is writable by ${st.mode & 0o002 ? 'others' : 'its group'} (mode ${(st.mode & 0o7777).toString(8)})`, { dir, mode: st.mode & 0o7777 });
}

/** A directory above the home: root's or ours, and writable by others only with the sticky bit. */
function checkParent(home: string, dir: string, uid: number): void {
  const st = statSync(dir);
  if (st.uid !== 0 && st.uid !== uid) throw unsafe(home, `${dir}, a parent directory, is owned by ${ownerName(st.uid)}, who could replace the home`, { dir, owner: st.uid });
  if ((st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0) {
    throw unsafe(home, `${dir}, a parent directory, is writable by ${st.mode & 0o002 ? 'others' : 'its group'} without the sticky bit (mode ${(st.mode & 0o7777).toString(8)}), so they could replace the home`, {
      dir,
      mode: st.mode & 0o7777,
    });
  }
}

/**
 * Throws DROVER_E_HOME_UNSAFE when the home cannot be trusted (the rule
 * above). Call before creating anything in it and before trusting what is in
 * it. Does nothing where there are no uids (Windows).
 */
export function checkHomeTrust(home: string, subdirs: readonly string[] = []): void {
  const uid = process.getuid?.();
  if (uid === undefined) return;
  try {
    checkPaths(home, subdirs, uid);
  } catch (err) {
    if (err instanceof DroverError) throw err;
    // EACCES on a parent, say: what cannot be checked is not trusted.
    const e = err as NodeJS.ErrnoException;
    throw new DroverError('DROVER_E_HOME_NOT_WRITABLE', `DROVER_HOME ${home} cannot be checked: ${e.code ?? ''} ${e.message.replace(/^\w+: /, '')}: fix the permissions of its parent directories or set DROVER_HOME to a directory of your own`, {
      home,
      cause: e.code,
    });
  }
}

function checkPaths(home: string, subdirs: readonly string[], uid: number): void {
  // The nearest existing ancestor, resolved: a symlink above the home is fine
  // as long as where it leads is safe (as /var/run -> /run).
  let existing = path.dirname(home);
  while (lstatOrUndefined(existing) === undefined && path.dirname(existing) !== existing) existing = path.dirname(existing);
  let dir = realpathSync(existing);
  for (;;) {
    checkParent(home, dir, uid);
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  checkOwnDir(home, home, uid);
  for (const sub of subdirs) checkOwnDir(home, sub, uid);
}

/**
 * A cache directory in the home (created 0700), for best-effort users (the
 * compile cache, the code cache): undefined when the home does not exist
 * (it is not created for a cache) or fails checkHomeTrust, since cached code
 * is code that runs and only the owner may write it.
 */
export function trustedCacheDir(home: string, dir: string): string | undefined {
  try {
    if (!statSync(home).isDirectory()) return undefined;
    checkHomeTrust(home, [dir]);
    mkdirSync(dir, { mode: 0o700, recursive: true });
    return dir;
  } catch {
    return undefined;
  }
}

/**
 * Before a launch record (environment included) goes to a unix socket: the
 * socket file must be a socket owned by the caller. A socket planted by
 * someone else (in a home they can write, or after a swap) is refused.
 * A missing socket is left to connect() to report (ENOENT).
 */
export function checkSocketOwner(socketPath: string): void {
  const uid = process.getuid?.();
  if (uid === undefined) return;
  const st = lstatOrUndefined(socketPath);
  if (!st) return;
  // Something of ours that is not a socket is left to connect() to report (ECONNREFUSED).
  if (st.uid !== uid) {
    throw new DroverError(
      'DROVER_E_HOME_UNSAFE',
      `refusing to talk to ${socketPath}: it is ${st.isSocket() ? 'a socket' : 'a file'} owned by ${ownerName(st.uid)}, not by you; remove it if you know where it comes from, and check who can write ${path.dirname(socketPath)}`,
      { socket: socketPath, owner: st.uid },
    );
  }
}
