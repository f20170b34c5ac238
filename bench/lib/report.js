// Markdown helpers for docs/benchmarks.md.
export function table(headers, rows, align = []) {
  const esc = (c) => String(c ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const sep = headers.map((_, i) => (align[i] === 'r' ? '---:' : '---'));
  return [headers, sep, ...rows].map((r, i) => `| ${(i === 1 ? r : r.map(esc)).join(' | ')} |`).join('\n');
}

/** Number formatting; null/undefined/NaN render as an em dash. */
export function num(v, digits = 0) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** true → met, false → missed, null → not measured (with the reason). */
export function verdict(ok, why = 'not measured') {
  if (ok === true) return '**met**';
  if (ok === false) return '**missed**';
  return `not evaluated (${why})`;
}

export const code = (s) => '`' + String(s).replace(/`/g, "'") + '`';
