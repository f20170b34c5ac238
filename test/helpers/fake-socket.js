// A stand-in for the net.Socket the hub's flow (src/messaging/hub-flow.ts)
// writes to: it logs each write as `sent X` (uncorked) or `queued X` (corked),
// and `flush` when the last cork is undone.
export function loggingSocket(log) {
  return {
    writableLength: 0,
    corks: 0,
    cork() { this.corks++; },
    uncork() { this.corks--; if (this.corks === 0) log.push('flush'); },
    write(buf) { log.push(this.corks > 0 ? `queued ${buf}` : `sent ${buf}`); },
  };
}
