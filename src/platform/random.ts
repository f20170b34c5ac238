// Random bytes for tokens and unique names, read from the kernel's CSPRNG
// (/dev/urandom: getrandom's pool, what OpenSSL seeds from) instead of
// node:crypto. Loading node:crypto costs a long-lived process ~1.4 MB of
// private memory on Node 24 (~20 internal modules: keys, ciphers, x509,
// webcrypto helpers) for a few random bytes at start-up; the app master and
// the daemon need nothing else from it (issue 17, docs/daemon.md). Where
// /dev/urandom cannot be read (not Linux, a chroot without /dev), Web Crypto's
// getRandomValues, which loads the crypto modules only then.
import { closeSync, openSync, readSync } from 'node:fs';

export function randomBytes(n: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  let fd: number | undefined;
  try {
    fd = openSync('/dev/urandom', 'r');
    let got = 0;
    // A read of /dev/urandom returns what was asked (≤ 32 MB), but loop rather than assume it.
    for (let i = 0; got < n && i < 8; i++) got += readSync(fd, out, got, n - got, null);
    if (got === n) return out;
  } catch {
    // fall through to Web Crypto
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  globalThis.crypto.getRandomValues(out);
  return out;
}
