// Issue 15: rolling reloads under new-connection-per-request load lose nothing
// (--balance sticky). Hand-offs still in a leaving worker's IPC pipe are read
// and sent back before it exits (src/worker/close-barrier.ts); kernel mode
// shares one listening socket, whose queue outlives any one worker.
import { test } from 'node:test';
import { fixture } from '../helpers/drover.js';
import { RELOADS, reloadsUnderLoad } from '../helpers/reloads.js';

// Sticky: the listener's other queueing path; graceful.js exits in its close callback.
test(`${RELOADS} reloads under new-connection-per-request load lose no request (--balance sticky, an app that exits once its server.close() calls back)`, (t) =>
  reloadsUnderLoad(t, { script: fixture('graceful.js'), balance: 'sticky' }));
