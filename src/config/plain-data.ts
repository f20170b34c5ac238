// A JS/TS config file's export is code, not data: a getter or a Proxy trap
// can throw when drover reads a key, long after the import succeeded, and
// that came out as an internal error with a stack (issue 15). The value is
// copied into plain data once, right after the import; whatever throws while
// it is read is a config error (DROVER_E_CONFIG) naming the key path. Also
// bounds what a config can make drover walk (depth, cycles).
import { DroverError } from '../errors.js';
import { formatPath, type PathSegment } from './issues.js';

const MAX_DEPTH = 32;

function fail(file: string, at: readonly PathSegment[], why: string): DroverError {
  const where = at.length > 0 ? formatPath(at) : 'the exported value';
  return new DroverError('DROVER_E_CONFIG', `${file}: ${where}: ${why}: export plain values (no getters or proxies that throw)`, { file, path: formatPath(at) });
}

/** Plain arrays, objects and primitives; functions and other objects are kept as they are (the schema reports them). */
export function toPlainData(file: string, value: unknown): unknown {
  const seen = new Set<object>();
  const copy = (v: unknown, at: PathSegment[]): unknown => {
    if (v === null || typeof v !== 'object') return v;
    if (at.length > MAX_DEPTH) throw fail(file, at, `nested more than ${MAX_DEPTH} levels deep`);
    if (seen.has(v)) throw fail(file, at, 'refers to itself (a cycle)');
    seen.add(v);
    try {
      let keys: string[];
      let isArray: boolean;
      try {
        isArray = Array.isArray(v);
        keys = Object.keys(v);
      } catch (err) {
        throw fail(file, at, `listing its keys threw: ${(err as Error)?.message ?? String(err)}`);
      }
      const out: Record<string, unknown> | unknown[] = isArray ? [] : {};
      for (const key of keys) {
        const seg: PathSegment = isArray && /^\d+$/.test(key) ? Number(key) : key;
        let item: unknown;
        try {
          item = (v as Record<string, unknown>)[key];
        } catch (err) {
          throw fail(file, [...at, seg], `reading it threw: ${(err as Error)?.message ?? String(err)}`);
        }
        if (key === '__proto__') Object.defineProperty(out, key, { value: copy(item, [...at, seg]), enumerable: true, writable: true, configurable: true });
        else (out as Record<string, unknown>)[key] = copy(item, [...at, seg]);
      }
      return out;
    } finally {
      seen.delete(v);
    }
  };
  return copy(value, []);
}
