// Whether a command line is a plain `drover list` / `drover ls` [--json]: the
// shape the fast paths answer (list-fast.ts, prestart.ts). Anything else
// (--help, a typo, an unknown flag) goes to the command line program, which
// explains it.
export function isPlainList(argv: readonly string[]): { json: boolean } | undefined {
  const [command, flag, ...rest] = argv;
  if ((command !== 'list' && command !== 'ls') || rest.length > 0) return undefined;
  if (flag !== undefined && flag !== '--json') return undefined;
  return { json: flag === '--json' };
}

/** How long `list` waits for the daemon's answer. */
export const LIST_TIMEOUT_MS = 15_000;
