// The floor of a `set` with the least work any design does (bench/scenarios/state.js): a bare Node
// process, no drover, on a unix socket, that takes a request of two lines, a header
// `{"k":key,"v":version the writer holds}` and the value's JSON text, and answers one line
// `{"ok":1,"v":new version}` (ok 0 and the current version when the writer's is stale, ok 2 when a
// line is not JSON). Per request it parses the header and the value once each (the value's validity
// check), looks the key up in a Map, compares the versions, stores the new version with the value's
// text and writes the reply: no framing beyond the newline, no checksum, no log (the bench times the
// record's write(2) apart, as for the raw floor). argv[2]: the socket path.
import net from 'node:net';

const table = new Map();

function answer(header, valueText) {
  let h;
  try {
    h = JSON.parse(header);
    JSON.parse(valueText);
  } catch {
    return '{"ok":2,"v":0}\n';
  }
  const cur = table.get(h.k);
  const version = cur === undefined ? 0 : cur.version;
  if (h.v !== version) return `{"ok":0,"v":${version}}\n`;
  table.set(h.k, { version: version + 1, json: valueText });
  return `{"ok":1,"v":${version + 1}}\n`;
}

const server = net.createServer((socket) => {
  socket.setEncoding('utf8');
  let rest = '';
  socket.on('data', (text) => {
    rest += text;
    let out = '';
    for (;;) {
      const a = rest.indexOf('\n');
      const b = a < 0 ? -1 : rest.indexOf('\n', a + 1);
      if (b < 0) break;
      out += answer(rest.slice(0, a), rest.slice(a + 1, b));
      rest = rest.slice(b + 1);
    }
    if (out) socket.write(out);
  });
  socket.on('error', () => {});
});
server.listen(process.argv[2], () => process.stdout.write('listening\n'));
process.on('SIGTERM', () => process.exit(0));
