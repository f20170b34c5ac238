// Every text the dashboard shows that came from an app (log tail lines, event
// texts such as a crash's first line) passes redactLine() on its way out, as
// list/describe/dump redact env values: a page is a response like any other.
import { redactLine } from '../../config/env.js';
import type { DashboardSource, LogEvent } from './source.js';

export function redacting(source: DashboardSource, literals: readonly string[] = []): DashboardSource {
  const clean = (text: string) => redactLine(text, literals);
  return {
    apps: async () => (await source.apps()).map((a) => (a.error === undefined ? a : { ...a, error: clean(a.error) })),
    subscribe: (fn) => source.subscribe((e: LogEvent) => fn({ ...e, text: clean(e.text) })),
    act: (app, action, args) => source.act(app, action, args),
    logTail: async (app, lines) => (await source.logTail(app, lines))?.map(clean),
    close: () => source.close(),
  };
}
