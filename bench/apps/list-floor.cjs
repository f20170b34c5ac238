// The least a `list` that asks a running process over a unix socket can do,
// for bench/scenarios/cli.js (issue 17): connect, send drover's `list`
// request frame, read one reply frame, write its JSON body to stdout, exit.
// No argument parsing, trust checks, JSON parse or table: whatever drover's
// CLI spends above this is its own. CommonJS, so Node 20 loads no ESM loader.
//   node bench/apps/list-floor.cjs <socket path>
const net = require('node:net');
const { writeSync } = require('node:fs');

const body = Buffer.from('{"id":1,"command":"list","args":{}}');
const head = Buffer.alloc(4);
head.writeUInt32BE(body.length, 0);
const socket = net.createConnection(process.argv[2]);
socket.write(Buffer.concat([head, body]));
let got = Buffer.alloc(0);
socket.on('data', (chunk) => {
  got = got.length === 0 ? chunk : Buffer.concat([got, chunk]);
  if (got.length < 4 || got.length < 4 + got.readUInt32BE(0)) return;
  const reply = got.subarray(4, 4 + got.readUInt32BE(0));
  for (let done = 0; done < reply.length; ) done += writeSync(1, reply, done);
  process.exit(0);
});
socket.on('error', (err) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});
