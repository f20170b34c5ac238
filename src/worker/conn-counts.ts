// Connections received and closed per listening key, cumulative, reported to
// the master. The report returns the listener's hand-off credit
// (protocol/handoff.ts), so it must come soon after connections arrive; but
// each report is a write on the IPC channel, which a profile showed to be the
// worker's largest cost per connection when one went out per event-loop turn.
// So, like TCP's delayed ACK: a report goes out at the end of the turn once
// HANDOFF_REPORT_EVERY connections are unreported, else after
// HANDOFF_REPORT_DELAY_MS. A busy event loop reports nothing either way, which
// is what makes the master send its connections elsewhere.
import { HANDOFF_REPORT_DELAY_MS, HANDOFF_REPORT_EVERY } from '../protocol/handoff.js';

interface Counts {
  got: number;
  closed: number;
  unreportedGot: number;
  dirty: boolean;
}

export class ConnCounts {
  private readonly byKey = new Map<string, Counts>();
  private soon: NodeJS.Immediate | undefined;
  private later: NodeJS.Timeout | undefined;

  constructor(private readonly report: (key: string, got: number, closed: number) => void) {}

  add(key: string, got: number, closed: number): void {
    let c = this.byKey.get(key);
    if (!c) this.byKey.set(key, (c = { got: 0, closed: 0, unreportedGot: 0, dirty: false }));
    c.got += got;
    c.closed += closed;
    c.unreportedGot += got;
    c.dirty = true;
    if (c.unreportedGot >= HANDOFF_REPORT_EVERY) this.soon ??= setImmediate(() => this.flush());
    else if (!this.later) {
      this.later = setTimeout(() => this.flush(), HANDOFF_REPORT_DELAY_MS);
      this.later.unref();
    }
  }

  private flush(): void {
    if (this.soon) clearImmediate(this.soon);
    if (this.later) clearTimeout(this.later);
    this.soon = this.later = undefined;
    for (const [key, c] of this.byKey) {
      if (!c.dirty) continue;
      c.dirty = false;
      c.unreportedGot = 0;
      this.report(key, c.got, c.closed);
    }
  }
}
