// Connections received and closed per listening key, cumulative, reported to
// the master. The report returns the listener's hand-off credit
// (protocol/handoff.ts) and is what least-connections counts with, so it must
// come soon after a change; but each report is a write on the IPC channel,
// which a profile showed to be the worker's largest cost per connection when
// one went out per event-loop turn. So a change is reported at the end of its
// turn unless a report went out less than HANDOFF_REPORT_GAP_MS ago (then when
// the gap is over): at most one report per gap, at most a gap late. Once
// HANDOFF_REPORT_EVERY connections are unreported the report goes at the end
// of the turn regardless (the credit). A busy event loop reports nothing,
// which is what makes the master send its connections elsewhere. The gap
// depends on the balance mode: 1 ms where the strategy reads the counts,
// longer where only the credit matters (balancer/report-gap.ts).
import { HANDOFF_REPORT_EVERY, HANDOFF_REPORT_GAP_MS } from '../protocol/handoff.js';

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
  private lastReport = -Infinity;

  constructor(
    private readonly report: (key: string, got: number, closed: number) => void,
    private readonly now: () => number = () => performance.now(),
    /** At most one report per gap (ms). */
    private readonly gapMs = HANDOFF_REPORT_GAP_MS,
  ) {}

  add(key: string, got: number, closed: number): void {
    let c = this.byKey.get(key);
    if (!c) this.byKey.set(key, (c = { got: 0, closed: 0, unreportedGot: 0, dirty: false }));
    c.got += got;
    c.closed += closed;
    c.unreportedGot += got;
    c.dirty = true;
    if (this.soon) return;
    const wait = this.lastReport + this.gapMs - this.now();
    if (c.unreportedGot >= HANDOFF_REPORT_EVERY || wait <= 0) {
      if (this.later) clearTimeout(this.later);
      this.later = undefined;
      this.soon = setImmediate(() => this.flush());
    } else if (!this.later) {
      this.later = setTimeout(() => this.flush(), Math.ceil(wait));
      this.later.unref();
    }
  }

  private flush(): void {
    if (this.soon) clearImmediate(this.soon);
    if (this.later) clearTimeout(this.later);
    this.soon = this.later = undefined;
    this.lastReport = this.now();
    for (const [key, c] of this.byKey) {
      if (!c.dirty) continue;
      c.dirty = false;
      c.unreportedGot = 0;
      this.report(key, c.got, c.closed);
    }
  }
}
