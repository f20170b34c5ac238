// How a Node app's script is run when Node cannot load it by itself, and which
// interpreters would lose port sharing. Decided before anything starts, so a
// TypeScript app on Node 20 fails at once with what to do instead of Node's
// raw ERR_UNKNOWN_FILE_EXTENSION in every worker.
//
// Port sharing needs drover's preload in the worker, which only `node` (with
// `--import <preload>`) gives: tsx therefore runs as a loader (`--import tsx`)
// beside the preload, never as the interpreter. Another program that runs a
// JavaScript/TypeScript file (ts-node, bun, a different node binary) starts
// without the preload or drover's IPC: every worker would bind the port
// itself, so cluster mode refuses it.
import { createRequire } from 'node:module';
import path from 'node:path';
import { DroverError } from '../errors.js';
import { nodeAtLeast, nodeHasSince } from '../platform/node-version.cjs';

const TS_EXTENSIONS = new Set(['.ts', '.mts', '.cts', '.tsx']);
const JS_EXTENSIONS = new Set(['.js', '.mjs', '.cjs', '.jsx']);

export interface Runner {
  /** undefined: run with drover's node (and its preload); otherwise the interpreter as given. */
  readonly interpreter: string | undefined;
  /** Node arguments drover adds in front of the app's own. */
  readonly nodeArgs: readonly string[];
}

/** Whether this Node strips types without a flag (22.18+, 23.6+), behind one (22.6-22.17, 23.0-23.5), or not at all. */
export function typeStripping(version = process.versions.node): 'default' | 'flag' | 'none' {
  if (nodeHasSince(['22.18', '23.6'], version)) return 'default';
  return nodeAtLeast(22, 6, 0, version) ? 'flag' : 'none';
}

/** Whether tsx can be imported from the app's directory (`--import tsx` resolves from the worker's cwd). */
export function tsxResolvable(cwd: string): boolean {
  try {
    createRequire(path.join(cwd, 'noop.js')).resolve('tsx');
    return true;
  } catch {
    return false;
  }
}

const loadsTypeScript = (nodeArgs: readonly string[]): boolean =>
  nodeArgs.some((a, i) => /^--(experimental-(strip|transform)-types)$/.test(a) || (/^--(import|loader|experimental-loader|require|r)$/.test(nodeArgs[i - 1] ?? '') && /tsx|ts-node/.test(a)) || /^--(import|loader)=.*(tsx|ts-node)/.test(a));

function tsxOrFail(script: string, cwd: string, version: string, what: string): Runner {
  if (tsxResolvable(cwd)) return { interpreter: undefined, nodeArgs: ['--import', 'tsx'] };
  throw new DroverError(
    'DROVER_E_TYPESCRIPT',
    `${what} ${script} is TypeScript, which Node ${version} cannot run and tsx is not installed in ${cwd}: install it (npm install -D tsx; drover then loads it with --import tsx), ` +
      'or run Node >= 22.6 (type stripping), or compile the app to JavaScript',
    { script },
  );
}

/**
 * interpreter: the option as given ('node', 'none', a program, or undefined);
 * returns undefined when the script runs as resolveCommand decides already.
 */
export function resolveRunner(
  script: string,
  o: { readonly interpreter?: string | undefined; readonly nodeArgs: readonly string[]; readonly execMode: 'cluster' | 'fork'; readonly cwd: string },
  version = process.versions.node,
): Runner | undefined {
  const ext = path.extname(script);
  const isTs = TS_EXTENSIONS.has(ext);
  const interpreter = o.interpreter;
  const program = interpreter === undefined ? undefined : path.basename(interpreter);
  if (program === 'tsx') {
    // Same behaviour as tsx itself, but as a loader so the preload still shares ports.
    if (o.execMode === 'fork') return undefined;
    return tsxOrFail(script, o.cwd, version, '--interpreter tsx: drover runs tsx as a loader (--import tsx) so the workers share ports, but');
  }
  if (interpreter !== undefined && interpreter !== 'node' && interpreter !== 'none' && (isTs || JS_EXTENSIONS.has(ext)) && o.execMode === 'cluster') {
    throw new DroverError(
      'DROVER_E_INTERPRETER_NO_SHARING',
      `--interpreter ${interpreter} runs ${script} without drover's worker runtime, so its workers cannot share ports (each would bind the port itself): ` +
        `load it into node instead (e.g. --node-args "--import tsx" for TypeScript), or run each process on its own with --exec-mode fork`,
      { interpreter, script },
    );
  }
  if (!isTs || (interpreter !== undefined && interpreter !== 'node') || loadsTypeScript(o.nodeArgs)) return undefined;
  const stripping = typeStripping(version);
  if (stripping === 'default' && ext !== '.tsx') return undefined;
  if (stripping === 'flag' && ext !== '.tsx') return { interpreter: undefined, nodeArgs: ['--experimental-strip-types', '--no-warnings=ExperimentalWarning'] };
  return tsxOrFail(script, o.cwd, version, 'script');
}
