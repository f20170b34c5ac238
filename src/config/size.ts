// Sizes such as "512M": the one pattern (schema, CLI flags) and the one parser
// (binary units, as PM2's max_memory_restart). Zod-free, for the option table.
import { DroverError } from '../errors.js';

export const SIZE_PATTERN = /^\d+(\.\d+)?\s*[kKmMgG]?[bB]?$/;

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** "512M" → bytes; `what` names the option in the error. */
export function parseSize(size: number | string, what = 'maxMemory'): number {
  if (typeof size === 'number') return size;
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)b?$/i.exec(size.trim());
  if (!m) throw new DroverError('DROVER_E_INVALID_OPTION', `${what} ${JSON.stringify(size)} is not a size: use e.g. 512M, 1G or a number of bytes`);
  return Math.round(Number(m[1]) * SIZE_UNITS[m[2]!.toLowerCase()]!);
}
