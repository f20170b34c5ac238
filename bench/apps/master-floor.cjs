// The least an app master can be (issue 17, bench/scenarios/cli.js): what any
// supervisor of a round-robin app must hold, and nothing else: one child
// forked with an IPC channel (a worker), a listening TCP socket (the app's
// port, accepted in the master) and a listening unix socket (its control
// socket). Started with the master's own node flags and malloc settings.
// Prints `up` once all three exist, then idles until SIGTERM.
'use strict';
const { spawn } = require('node:child_process');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const child = spawn(process.execPath, ['-e', 'process.on("disconnect", () => process.exit(0)); setInterval(() => {}, 1e9)'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
child.on('message', () => {});
const sock = path.join(os.tmpdir(), `drover-bench-master-floor-${process.pid}.sock`);
const control = net.createServer().listen(sock);
const port = net.createServer().listen(0, '127.0.0.1');
let up = 0;
const ready = () => ++up === 2 && console.log('up');
control.on('listening', ready);
port.on('listening', ready);
process.on('SIGTERM', () => {
  child.kill();
  control.close(); // removes the socket file
  port.close();
  process.exitCode = 0;
  setTimeout(() => process.exit(0), 100).unref();
});
