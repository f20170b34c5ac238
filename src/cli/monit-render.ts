// `drover monit`'s frame, pure: apps and workers with CPU and memory
// sparklines, then the latest events, cut to the terminal's size.
import type { AppView, LogEvent } from '../http/dashboard/source.js';

const BARS = '▁▂▃▄▅▆▇█';
export const HISTORY = 30;

/** One character per sample, scaled to the largest (or to max when given). */
export function sparkline(values: readonly (number | undefined)[], max?: number): string {
  const top = max ?? Math.max(0, ...values.map((v) => v ?? 0));
  return values.map((v) => (v === undefined ? ' ' : BARS[top <= 0 ? 0 : Math.min(7, Math.round((v / top) * 7))]!)).join('');
}

export interface History {
  readonly cpu: (number | undefined)[];
  readonly rss: (number | undefined)[];
}

/** Adds this sample of every worker (by app and slot) to its history, HISTORY samples at most. */
export function record(history: Map<string, History>, apps: readonly AppView[]): void {
  const live = new Set<string>();
  for (const app of apps) {
    for (const w of app.workers) {
      const key = `${app.name}/${w.slot}`;
      live.add(key);
      const h = history.get(key) ?? { cpu: [], rss: [] };
      h.cpu.push(w.cpu);
      h.rss.push(w.rss);
      if (h.cpu.length > HISTORY) h.cpu.shift(), h.rss.shift();
      history.set(key, h);
    }
  }
  for (const key of history.keys()) if (!live.has(key)) history.delete(key);
}

const pad = (s: string, n: number) => (s.length >= n ? s.slice(0, n) : s + ' '.repeat(n - s.length));
const mb = (b: number | undefined) => (b === undefined ? '–' : `${(b / 1048576).toFixed(1)}M`);
const pct = (c: number | undefined) => (c === undefined ? '–' : `${c.toFixed(1)}%`);
function dur(ms: number): string {
  const s = Math.floor(ms / 1000);
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m` : `${Math.floor(s / 3600)}h`;
}

export function renderFrame(apps: readonly AppView[], history: ReadonlyMap<string, History>, events: readonly LogEvent[], size: { columns: number; rows: number }, now = new Date()): string[] {
  const lines: string[] = [];
  lines.push(`drover monit  ${now.toLocaleTimeString()}  (q to quit)`);
  if (apps.length === 0) lines.push('', 'no running apps (drover start <script>)');
  for (const app of apps) {
    const ready = app.workers.filter((w) => w.phase === 'ready' && w.role === 'active').length;
    lines.push('', `${app.name}  ${app.phase}  ${ready}/${app.desired} ready`);
    lines.push(`  ${pad('wkr', 4)}${pad('pid', 9)}${pad('status', 10)}${pad('up', 6)}${pad('rst', 5)}${pad('cpu', 7)}${pad('', HISTORY + 1)}${pad('mem', 8)}${pad('', HISTORY + 1)}lag`);
    for (const w of [...app.workers].sort((a, b) => a.slot - b.slot || a.wid - b.wid)) {
      const h = history.get(`${app.name}/${w.slot}`) ?? { cpu: [], rss: [] };
      lines.push(
        `  ${pad(String(w.slot), 4)}${pad(String(w.pid ?? '–'), 9)}${pad(w.role === 'spare' ? 'spare' : w.phase, 10)}${pad(dur(w.uptimeMs), 6)}${pad(String(w.restarts), 5)}` +
          `${pad(pct(w.cpu), 7)}${pad(sparkline(h.cpu, 100), HISTORY + 1)}${pad(mb(w.rss), 8)}${pad(sparkline(h.rss), HISTORY + 1)}${w.lagMs === undefined ? '–' : `${w.lagMs.toFixed(0)}ms`}`,
      );
    }
  }
  const room = size.rows - lines.length - 2;
  if (room > 0 && events.length > 0) {
    lines.push('', 'events');
    for (const e of events.slice(-room)) lines.push(`  ${new Date(e.at).toLocaleTimeString()} ${e.app}: ${e.text}`);
  }
  return lines.slice(0, size.rows).map((l) => (l.length > size.columns ? l.slice(0, size.columns) : l));
}
