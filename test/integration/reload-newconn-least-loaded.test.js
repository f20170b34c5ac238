// Issue 15: rolling reloads under new-connection-per-request load lose nothing
// (--balance least-loaded; the same hand-off path as round-robin, another strategy picks).
import { test } from 'node:test';
import { example } from '../helpers/drover.js';
import { RELOADS, reloadsUnderLoad } from '../helpers/reloads.js';

test(`${RELOADS} reloads under new-connection-per-request load lose no request (--balance least-loaded, an app that handles no signal)`, (t) =>
  reloadsUnderLoad(t, { script: example('hello.js'), balance: 'least-loaded' }));
