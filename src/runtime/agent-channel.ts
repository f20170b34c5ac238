// The master's end of the agent's IPC channel. The agent has no worker
// runtime, so the only drover messages it sends are 'ready' (ready() from
// drover/worker, once) and 'hello' (drover/worker was loaded). Anything else
// is dropped; malformed or flooding messages go through the same guard as a
// worker's (strikes, rate limit), so app code in the agent cannot hurt the master.
// A message longer than the IPC bound (protocol/ipc-limit.ts) is refused in the
// agent by its preload; one written past it has the channel cut here as a
// worker's would (ipc-bound.ts), and `tooLarge` has the agent replaced.
import type { ChildProcess } from 'node:child_process';
import { CMD, parseWorkerMessage } from '../protocol/messages.js';
import type { IpcGuard } from '../messaging/ipc-guard.js';
import { boundChannel } from './ipc-bound.js';

export interface AgentSignals {
  readonly ready: () => void;
  readonly hello: () => void;
  /** The agent wrote a message longer than `ipcMax`: its channel is cut already. */
  readonly tooLarge: (length: number) => void;
}

export function listenToAgent(child: ChildProcess, wid: number, guard: IpcGuard, ipcMax: number, on: AgentSignals): void {
  boundChannel(child, ipcMax, (length) => {
    // Unlike a worker, the agent does not exit when its channel closes: tooLarge stops it.
    child.disconnect();
    on.tooLarge(length);
  });
  // PM2's readiness signal works for the agent as for workers.
  child.on('message', (m: unknown) => {
    if (m === 'ready') on.ready();
  });
  child.on('internalMessage', (raw: unknown) => {
    if (typeof raw !== 'object' || raw === null || (raw as { cmd?: unknown }).cmd !== CMD) return;
    const parsed = parseWorkerMessage(raw);
    if (!parsed.ok) return guard.malformed(wid, child.pid, parsed.error);
    if (!guard.admit(wid, child.pid, parsed.message.kind)) return;
    if (parsed.message.kind === 'ready') on.ready();
    else if (parsed.message.kind === 'hello') on.hello();
  });
}
