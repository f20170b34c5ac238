// A worker's connection to the message hub can be closed before the hub
// welcomed it: the hub makes room for a new connection by closing the oldest
// one still waiting to say hello (hub.ts), or the master was busy. What the
// worker wrote on it (sends, requests) was never read. Instead of failing
// those with DROVER_E_MSG_DISCONNECTED, the port connects again (a few times,
// backing off) and writes them again; the hub has not seen them, so nothing
// is delivered twice. Once welcomed, a closed connection fails what is
// pending as before (the hub may have delivered it).
export const PRE_WELCOME_ATTEMPTS = 5;
const FIRST_DELAY_MS = 20;

export class PreWelcome {
  private frames: Buffer[] | undefined;
  private replay: Buffer[] | undefined;
  private attempts = 0;

  /** A new connection: returns the frames to write again after its hello, and starts recording. */
  begin(): Buffer[] {
    const replay = this.replay ?? [];
    this.replay = undefined;
    this.frames = [];
    return replay;
  }

  /** A frame written on the connection before its welcome. */
  record(frame: Buffer): void {
    this.frames?.push(frame);
  }

  welcomed(): void {
    this.frames = undefined;
    this.replay = undefined;
    this.attempts = 0;
  }

  /** The connection closed before its welcome: true (and the delay) when the port should connect again. */
  retry(): number | undefined {
    const frames = this.frames;
    this.frames = undefined;
    if (!frames || this.attempts >= PRE_WELCOME_ATTEMPTS) {
      this.replay = undefined;
      this.attempts = 0;
      return undefined;
    }
    this.attempts++;
    this.replay = frames;
    return FIRST_DELAY_MS * 2 ** (this.attempts - 1);
  }

  /** Gave up or closed after the welcome: forget everything. */
  clear(): void {
    this.frames = undefined;
    this.replay = undefined;
    this.attempts = 0;
  }
}
