// "Is this Node at least X.Y.Z?", in one place for every feature check.
// CommonJS (a .cts file is built to .cjs in both builds, as install-dir.cts):
// the `drover` bin (cli/bin.cts) requires it, and the ES module build imports
// it through Node's CommonJS interop.
//
// A pre-release (`24.0.0-pre`, Node's nightlies and release candidates) counts
// as below the release it names and above every earlier one, as in semver: a
// feature that lands in X.Y.Z may not be in every X.Y.Z-pre build, and the
// checks here pick a path that calls the feature, so a wrong "yes" throws
// where a wrong "no" only takes the slower path.

type Triple = readonly [number, number, number];

function parse(version: string): { v: Triple; pre: boolean } {
  const text = version.startsWith('v') ? version.slice(1) : version;
  const cut = text.search(/[-+]/);
  const core = cut === -1 ? text : text.slice(0, cut);
  const [a = 0, b = 0, c = 0] = core.split('.').map((n) => (/^\d+$/.test(n) ? Number(n) : 0));
  return { v: [a, b, c], pre: cut !== -1 && text[cut] === '-' };
}

/** Whether `version` (process.versions.node, or process.version with its "v") is major.minor.patch or later. */
export function nodeAtLeast(major: number, minor = 0, patch = 0, version: string = process.versions.node): boolean {
  const { v, pre } = parse(version);
  const want: Triple = [major, minor, patch];
  for (let i = 0; i < 3; i++) if (v[i] !== want[i]) return v[i]! > want[i]!;
  return !pre;
}

/** The major version of `version` (0 if it is not a version). */
export function nodeMajor(version: string = process.versions.node): number {
  return parse(version).v[0];
}

/**
 * A feature backported to older release lines: `firsts` names its first
 * release on each line, oldest line first (["22.12", "23.1"]). True on a
 * listed line from that release on, and on every line newer than the last
 * listed; false on an unlisted older line (it was not backported there).
 */
export function nodeHasSince(firsts: readonly string[], version: string = process.versions.node): boolean {
  const line = nodeMajor(version);
  const at = (first: string): boolean => {
    const [major, minor, patch] = parse(first).v;
    return nodeAtLeast(major, minor, patch, version);
  };
  const newest = firsts[firsts.length - 1];
  if (newest !== undefined && at(newest)) return true;
  const own = firsts.find((first) => nodeMajor(first) === line);
  return own !== undefined && at(own);
}

/** net's listen({ reusePort }) and libuv's UV_TCP_REUSEPORT. */
export const REUSEPORT_SINCE: readonly string[] = ['22.12', '23.1'];
