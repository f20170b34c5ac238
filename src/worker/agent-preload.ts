// Preloaded into a Node agent (`--import`): the agent has no worker runtime,
// but its process.send reaches the master over the same kind of channel, so it
// gets the same bound (protocol/ipc-limit.ts): an oversized send is refused
// with DROVER_E_IPC_TOO_LARGE at the call site. Nothing else: the agent binds
// its own ports and answers no heartbeat.
import { ipcMaxMessage } from '../protocol/ipc-limit.js';
import { limitSends } from './send-limit.js';

limitSends(ipcMaxMessage());
