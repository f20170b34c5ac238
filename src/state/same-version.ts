// Compare-and-set attempts that cannot win, answered without a trip to the
// backend (redis).
//
// update() from several processes on one hot key sends attempts that carry
// the version each one's replica holds, mostly the same one. While a put
// with ifVersion v on a key is at Redis, another put on that key with ifVersion
// v can only conflict: if the first wins, the key is at a version above v
// (versions only grow while the key exists); if it conflicts, the key was not
// at v when Redis ran it. So the later attempt waits for the first one's
// outcome and gets a conflict with the entry that outcome carries: correct at
// the moment Redis ran the first, while the later one was already pending.
// Without this every success on a key with N writers costs N-1 doomed
// script runs, each a round trip and Redis and master CPU.
//
// Only puts with ifVersion wait, and only behind a put with the same one; an
// attempt whose predecessor failed (Redis unreachable, the key limit) is sent
// itself, so it gets its own answer.
import type { WriteOp, WriteOutcome } from './backend.js';

interface InFlight {
  readonly version: number;
  readonly outcome: Promise<WriteOutcome>;
}

export class SameVersionGate {
  private readonly inFlight = new Map<string, InFlight>();

  write(op: WriteOp, send: (op: WriteOp) => Promise<WriteOutcome>): Promise<WriteOutcome> {
    if (op.type !== 'put' || op.ifVersion === undefined) return send(op);
    const ahead = this.inFlight.get(op.key);
    if (ahead !== undefined && ahead.version === op.ifVersion) return ahead.outcome.then(lostTo, () => send(op));
    const mine: InFlight = { version: op.ifVersion, outcome: send(op) };
    this.inFlight.set(op.key, mine);
    const done = () => {
      if (this.inFlight.get(op.key) === mine) this.inFlight.delete(op.key);
    };
    mine.outcome.then(done, done);
    return mine.outcome;
  }

  /** Keys with an attempt at the backend (tests: nothing is left behind). */
  get size(): number {
    return this.inFlight.size;
  }
}

/** The outcome of an attempt that waited behind `first`, which ran at the same version. */
function lostTo(first: WriteOutcome): WriteOutcome {
  if (!first.ok) return first;
  const c = first.change;
  return { ok: false, current: c !== undefined && c.type === 'put' ? c.entry : undefined };
}
