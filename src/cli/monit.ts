// `drover monit`: a live table of the daemon's apps in the terminal, from the
// app masters' HTTP sockets (the dashboard's source), redrawn once a second.
// The alternate screen and raw mode are always undone: on q, Ctrl-C, SIGTERM,
// and on exit. Not a terminal: one frame, then exit.
import { droverPaths } from '../control/paths.js';
import { DaemonSource } from '../http/dashboard/daemon-source.js';
import type { LogEvent } from '../http/dashboard/source.js';
import { record, renderFrame, type History } from './monit-render.js';

const ENTER = '\x1b[?1049h\x1b[?25l';
const LEAVE = '\x1b[?25h\x1b[?1049l';
const REDRAW_MS = 1_000;

export async function monitCommand(): Promise<number> {
  const source = new DaemonSource(droverPaths());
  const history = new Map<string, History>();
  const events: LogEvent[] = [];
  const out = process.stdout;
  const size = () => ({ columns: out.columns || 100, rows: out.rows || 40 });

  if (!out.isTTY) {
    const apps = await source.apps();
    record(history, apps);
    out.write(`${renderFrame(apps, history, [], { columns: 200, rows: 1000 }).join('\n')}\n`);
    source.close();
    return 0;
  }

  const unsubscribe = source.subscribe((e) => {
    events.push(e);
    if (events.length > 50) events.shift();
  });
  let timer: NodeJS.Timeout | undefined;
  let drawing = false;
  const draw = async () => {
    if (drawing) return;
    drawing = true;
    try {
      const apps = await source.apps();
      record(history, apps);
      out.write(`\x1b[H\x1b[2J${renderFrame(apps, history, events, size()).join('\r\n')}`);
    } finally {
      drawing = false;
    }
  };
  const restore = () => {
    out.write(LEAVE);
    if (process.stdin.isTTY) process.stdin.setRawMode(false);
  };
  process.once('exit', restore);
  out.write(ENTER);
  if (process.stdin.isTTY) process.stdin.setRawMode(true);
  process.stdin.resume();

  await new Promise<void>((resolve) => {
    const quit = () => resolve();
    process.stdin.on('data', (key: Buffer) => {
      const k = key.toString();
      if (k === 'q' || k === 'Q' || k === '\x03' || k === '\x1b') quit();
    });
    process.once('SIGINT', quit);
    process.once('SIGTERM', quit);
    out.on('resize', () => void draw());
    void draw();
    timer = setInterval(() => void draw(), REDRAW_MS);
  });
  clearInterval(timer);
  unsubscribe();
  source.close();
  process.stdin.pause();
  restore();
  process.off('exit', restore);
  return 0;
}
