// A worker for the shared state benchmark (bench/scenarios/state.js): the
// scenario asks it, over drover's messaging, to time reads, writes and
// fan-out of the store, and the same with ioredis against a local Redis.
import fs from 'node:fs';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { handle, on, ready, request, state } from 'drover/worker';

// CLOCK_MONOTONIC, the same clock in every process of the machine (performance.timeOrigin is
// sampled per process and was seen several ms apart between processes).
const now = () => Number(process.hrtime.bigint()) / 1e6;
let redis;
const redisClient = async (url) => (redis ??= new (await import('ioredis')).Redis(url));

// Fan-out samples: [ms from the writer's call (t, taken just before it) to this process's callback, ms from t to
// the read of the socket it came on (what the master, the kernel and the scheduler took; the rest is this
// process's parse and dispatch), the change's round, the callback's time]. Every socket's read is stamped: the subscriber's 'data'
// event, and the hub client's, which reads through net's `onread` option (no 'data' event): its callback is
// wrapped here, before this module's first handle() makes the hub client connect; it stamps only while the
// fan-out runs ('stamp-reads'), so that the set latencies before it pay nothing for it.
let lastData = 0;
let stampReads = false;
const emit = net.Socket.prototype.emit;
net.Socket.prototype.emit = function (event) {
  if (event === 'data') lastData = now();
  return emit.apply(this, arguments);
};
const createConnection = net.createConnection;
net.createConnection = function (options, ...rest) {
  const cb = options?.onread?.callback;
  if (typeof cb === 'function') {
    options = {
      ...options,
      onread: {
        ...options.onread,
        callback(nread, buf) {
          if (stampReads) lastData = now();
          return cb.call(this, nread, buf);
        },
      },
    };
  }
  return createConnection.call(this, options, ...rest);
};

handle('stamp-reads', ({ on }) => (stampReads = on === true));

async function rate(ms, once) {
  let n = 0;
  const end = performance.now() + ms;
  while (performance.now() < end) {
    for (let i = 0; i < 100; i++) await once();
    n += 100;
  }
  return (n * 1000) / ms;
}

handle('peek-rate', ({ key, ms }) => {
  let n = 0;
  const end = performance.now() + ms;
  while (performance.now() < end) {
    for (let i = 0; i < 10_000; i++) state.peek(key);
    n += 10_000;
  }
  return (n * 1000) / ms;
});
handle('peek', ({ key }) => state.peek(key)?.value ?? null);
handle('get-rate', ({ key, ms }) => rate(ms, () => state.get(key)));
handle('redis-get-rate', async ({ url, key, ms }) => {
  const r = await redisClient(url);
  // Connected and warm before the clock starts, as the store's side is.
  for (let i = 0; i < 200; i++) await r.get(key);
  return rate(ms, () => r.get(key));
});
// A raw round trip to a bare Node process (bench/apps/raw-echo.js) over a unix socket: one short line out,
// the same back, no framing beyond the newline. The floor under any round trip worker → master → worker.
function rawPeer(socketPath) {
  const socket = net.createConnection(socketPath);
  socket.setNoDelay?.(true);
  let waiting;
  let reply;
  socket.on('data', (chunk) => {
    if (chunk[chunk.length - 1] === 0x0a && waiting) {
      reply = chunk;
      const w = waiting;
      waiting = undefined;
      w();
    }
  });
  const line = Buffer.from(`${'x'.repeat(40)}\n`);
  return {
    ready: new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject)),
    rt: (bytes = line) => new Promise((resolve) => {
      waiting = resolve;
      socket.write(bytes);
    }),
    /** The chunk that ended the last round trip. */
    reply: () => reply,
    close: () => socket.destroy(),
  };
}
// The raw floor plus the least work of any set (bench/apps/raw-set.js): the value encoded, a header with the
// key and the version this writer holds, the reply's new version read by its fixed form `{"ok":1,"v":N}\n`.
function rawSetter(socketPath, key) {
  const peer = rawPeer(socketPath);
  let version = 0;
  return {
    ready: peer.ready,
    set: async (value) => {
      await peer.rt(`{"k":${JSON.stringify(key)},"v":${version}}\n${JSON.stringify(value)}\n`);
      const r = peer.reply();
      if (r[6] !== 0x31) throw new Error(`raw set: conflict (${r})`);
      let v = 0;
      for (let i = 12; i < r.length - 2; i++) v = v * 10 + r[i] - 0x30;
      version = v;
    },
    close: peer.close,
  };
}
// set, its floors (a bare round trip to the master on the same transport, the message hub, no store; a raw
// socket round trip to a bare Node process; a raw writeSync of a ~100-byte record, the file backend's one
// syscall per set, to a file opened as its log is) and ioredis SET, interleaved one of each per step, so that
// a change of the machine's load hits all of them alike, in an order that rotates every step. warm: steps
// run the same way before the n that the target counts, timed and returned as well (the first warm of
// each list); the scenario reports both.
handle('write-lat', async ({ url, key, n, warm = 0, rawSocket, rawFile, rawSetSocket }) => {
  const r = await redisClient(url);
  const raw = rawSocket ? rawPeer(rawSocket) : undefined;
  await raw?.ready;
  const rawSet = rawSetSocket ? rawSetter(rawSetSocket, key) : undefined;
  await rawSet?.ready;
  const fd = rawFile ? fs.openSync(rawFile, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_APPEND, 0o600) : undefined;
  const record = Buffer.from(`${'0'.repeat(8)} {"r":1,"k":"bench:set","v":1,"d":{"i":1}}${' '.repeat(50)}\n`);
  const ops = [(i) => state.set(key, { i }), () => request('master', 'bench.echo', 'x'), (i) => r.set(key, JSON.stringify({ i }))];
  if (raw) ops.push(() => raw.rt());
  if (fd !== undefined) ops.push(() => fs.writeSync(fd, record));
  if (rawSet) ops.push((i) => rawSet.set({ i }));
  const out = ops.map(() => []);
  try {
    for (let i = 0; i < Math.min(200, n); i++) for (const op of ops) await op(i);
    for (let i = 0; i < warm + n; i++) {
      // A rotating order: each op follows each of the others equally often (what ran just before moves a latency).
      for (let j = 0; j < ops.length; j++) {
        const k = (i + j) % ops.length;
        const t0 = performance.now();
        await ops[k](i);
        out[k].push(performance.now() - t0);
      }
    }
  } finally {
    raw?.close();
    rawSet?.close();
    if (fd !== undefined) fs.closeSync(fd);
  }
  return out;
});
handle('hot', async ({ key, ms }) => {
  let n = 0;
  const end = performance.now() + ms;
  while (performance.now() < end) {
    await state.update(key, (v = 0) => v + 1);
    n++;
  }
  return n;
});

const sample = (t1, m) => [t1 - m.t, lastData - m.t, m.i, t1];
let fan = [];
state.watch('fan', (ev) => {
  const t1 = now();
  if (ev.type === 'put' && typeof ev.entry.value?.t === 'number') fan.push(sample(t1, ev.entry.value));
});
handle('fan-collect', () => {
  const out = fan;
  fan = [];
  return out;
});
// The floor of the fan-out: the master sends a bare message to each worker on the same hub, no store.
let floor = [];
on('bench.fan', (m) => floor.push(sample(now(), m)));
handle('floor-collect', () => {
  const out = floor;
  floor = [];
  return out;
});
// The anchor: Redis pub/sub to the same 4 processes.
let sub = [];
let subscriber;
handle('sub-start', async ({ url, channel }) => {
  subscriber = new (await import('ioredis')).Redis(url);
  subscriber.on('message', (_c, message) => {
    const t1 = now();
    sub.push(sample(t1, JSON.parse(message)));
  });
  await subscriber.subscribe(channel);
  return true;
});
handle('sub-collect', () => {
  const out = sub;
  sub = [];
  return out;
});
handle('sub-stop', async () => {
  await subscriber?.quit();
  subscriber = undefined;
  return true;
});

// The floor of any design: the master writes one short line to each worker on a bare unix socket (no drover,
// no framing but the newline), read here by a plain 'data' handler.
let raw = [];
let rawSocket;
handle('raw-start', async ({ path: socketPath }) => {
  rawSocket = net.createConnection(socketPath);
  let rest = '';
  rawSocket.setEncoding('latin1');
  rawSocket.on('data', (text) => {
    const t1 = now();
    rest += text;
    for (let nl = rest.indexOf('\n'); nl >= 0; nl = rest.indexOf('\n')) {
      const [t, i] = rest.slice(0, nl).split(' ').map(Number);
      rest = rest.slice(nl + 1);
      raw.push(sample(t1, { t, i }));
    }
  });
  await new Promise((resolve, reject) => rawSocket.once('connect', resolve).once('error', reject));
  return true;
});
handle('raw-collect', () => {
  const out = raw;
  raw = [];
  return out;
});
handle('raw-stop', () => {
  rawSocket?.destroy();
  rawSocket = undefined;
  return true;
});

// This process's CPU time (µs, user + system): the scenario takes it before and after a block of changes.
handle('cpu', () => {
  const u = process.cpuUsage();
  return u.user + u.system;
});

// Garbage collections while the fan-out runs, on the same clock as the samples: [start ms, duration ms, kind]
// (a reviewer's question: does a slow sample coincide with a scavenge in the process that took it?).
let gcs = [];
let gcObserver;
handle('gc-start', async () => {
  const { PerformanceObserver } = await import('node:perf_hooks');
  gcs = [];
  gcObserver ??= new PerformanceObserver((list) => {
    const shift = now() - performance.now();
    for (const e of list.getEntries()) gcs.push([e.startTime + shift, e.duration, e.detail?.kind ?? 0]);
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  return true;
});
handle('gc-collect', () => {
  gcObserver?.disconnect();
  const out = gcs;
  gcs = [];
  return out;
});

ready();
