// Issue 15: rolling reloads under new-connection-per-request load lose nothing
// (--balance kernel). Hand-offs still in a leaving worker's IPC pipe are read
// and sent back before it exits (src/worker/close-barrier.ts); kernel mode
// shares one listening socket, whose queue outlives any one worker.
import { test } from 'node:test';
import { example } from '../helpers/drover.js';
import { RELOADS, reloadsUnderLoad } from '../helpers/reloads.js';

test(`${RELOADS} reloads under new-connection-per-request load lose no request (--balance kernel, an app that handles no signal)`, (t) =>
  reloadsUnderLoad(t, { script: example('hello.js'), balance: 'kernel' }));
