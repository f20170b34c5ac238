// stateBackend 'redis': app masters on several machines share one store.
//
// Every write is one Lua script, atomic in Redis: check the key's version,
// write value and version, bump the store rev, and append the change to a
// stream whose entry id is the rev (`<rev>-1`). Each master tails that stream
// on a connection of its own (XREAD BLOCK from the last id it saw) and fans the
// changes out to its workers; workers never talk to Redis. The tail is a bare
// RESP connection (resp.ts): every change passes through it, and without
// ioredis's per-command machinery it costs about a quarter less CPU per
// change (paired runs, ioredis tail = 1). No pub/sub and no
// keyspace notifications: they drop what is published while a subscriber is
// disconnected, where a stream is read from the last id.
//
// Keys, under the namespace (hash-tagged, so one cluster slot holds them all):
//   {ns}:data  hash key → value JSON      {ns}:meta  hash key → "<version> <rev>"
//   {ns}:rev   the store rev (INCR)       {ns}:feed  the change stream (MAXLEN ~ 10 000)
//
// A lost connection: the master's table keeps serving reads (marked stale),
// writes fail at once (no offline queue) and a write in flight is rejected,
// never resent (a resent compare-and-set could apply twice); the tail resumes
// from its last id. If the changes it missed were trimmed from the stream, or
// Redis lost its data (the rev went back), the master reloads a snapshot and
// its watchers get a `reset`.
import { DroverError } from '../errors.js';
import type { Loaded, RemoteBackend, RemoteFeed, WriteOp, WriteOutcome } from './backend.js';
import { RespConnection } from './resp.js';
import { SameVersionGate } from './same-version.js';
import type { ServerLog } from './server.js';
import type { StateSpec } from './types.js';
import type { Change, Stored } from './wire.js';

const FEED_MAXLEN = 10_000;
const BLOCK_MS = 5_000;

const WRITE_SCRIPT = `
local meta = redis.call('HGET', KEYS[2], ARGV[2])
local ver, krev = 0, 0
if meta then
  local sp = string.find(meta, ' ')
  ver = tonumber(string.sub(meta, 1, sp - 1))
  krev = tonumber(string.sub(meta, sp + 1))
end
if ARGV[3] ~= '' and tonumber(ARGV[3]) ~= ver then
  if meta then return {0, ver, krev, redis.call('HGET', KEYS[1], ARGV[2])} end
  return {0, 0, 0, false}
end
if ARGV[1] == 'del' then
  if not meta then return {2} end
  local rev = redis.call('INCR', KEYS[3])
  redis.call('HDEL', KEYS[1], ARGV[2])
  redis.call('HDEL', KEYS[2], ARGV[2])
  redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[6], rev .. '-1', 'k', ARGV[2], 'x', '1')
  return {1, 0, rev}
end
if not meta and redis.call('HLEN', KEYS[2]) >= tonumber(ARGV[5]) then return {3} end
local rev = redis.call('INCR', KEYS[3])
local nv = ver + 1
redis.call('HSET', KEYS[1], ARGV[2], ARGV[4])
redis.call('HSET', KEYS[2], ARGV[2], nv .. ' ' .. rev)
redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[6], rev .. '-1', 'k', ARGV[2], 'v', nv, 'd', ARGV[4])
return {1, nv, rev}
`;

// One consistent view: the table and the rev it is at.
const SNAPSHOT_SCRIPT = `return {redis.call('GET', KEYS[3]) or '0', redis.call('HGETALL', KEYS[2]), redis.call('HGETALL', KEYS[1])}`;

type RedisLike = import('ioredis').Redis;

function unavailable(what: string, err?: unknown): DroverError {
  return new DroverError('DROVER_E_STATE_UNAVAILABLE', `the state backend (Redis) is unreachable: ${what}${err ? ` (${(err as Error).message})` : ''}`);
}

export async function redisBackend(spec: StateSpec, log: ServerLog | undefined): Promise<RemoteBackend> {
  const { Redis } = await import('ioredis');
  const ns = `{${spec.namespace}}`;
  const keys = [`${ns}:data`, `${ns}:meta`, `${ns}:rev`, `${ns}:feed`];
  const options = {
    // Writes fail fast while disconnected, and one in flight is never resent on reconnect.
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    retryStrategy: (times: number) => Math.min(50 * times, 500),
    lazyConnect: true,
  };
  const cmd: RedisLike = new Redis(spec.url!, options);
  const tail = new RespConnection({ url: spec.url!, connectTimeoutMs: 10_000, idleTimeoutMs: BLOCK_MS + 10_000 });
  cmd.on('error', () => {});
  // EVALSHA, with the script sent once per connection.
  cmd.defineCommand('droverWrite', { numberOfKeys: 4, lua: WRITE_SCRIPT });
  cmd.defineCommand('droverSnapshot', { numberOfKeys: 4, lua: SNAPSHOT_SCRIPT });
  const run = cmd as unknown as Record<'droverWrite' | 'droverSnapshot', (...args: string[]) => Promise<unknown>>;
  let closed = false;
  let lastRev = 0;
  let feed: RemoteFeed | undefined;
  let cmdUp = false;
  const gate = new SameVersionGate();

  async function snapshot(): Promise<Loaded> {
    const [rev, meta, data] = (await run.droverSnapshot(...keys)) as [string, string[], string[]];
    const values = new Map<string, string>();
    for (let i = 0; i < data.length; i += 2) values.set(data[i]!, data[i + 1]!);
    const entries: Stored[] = [];
    for (let i = 0; i < meta.length; i += 2) {
      const [v, r] = meta[i + 1]!.split(' ').map(Number);
      const json = values.get(meta[i]!);
      if (json !== undefined) entries.push({ key: meta[i]!, json, version: v!, rev: r! });
    }
    return { entries, rev: Number(rev) };
  }

  function toChange(id: string, fields: string[]): Change {
    const f: Record<string, string> = {};
    for (let i = 0; i < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
    const rev = Number(id.split('-')[0]);
    return f.x ? { type: 'del', key: f.k!, rev } : { type: 'put', entry: { key: f.k!, json: f.d!, version: Number(f.v), rev } };
  }

  async function resync(why: string): Promise<void> {
    const snap = await snapshot();
    log?.warn({ event: 'state-reset', why, rev: snap.rev }, `state: ${why}; reloaded a snapshot at rev ${snap.rev}, watchers get a reset`);
    lastRev = snap.rev;
    feed?.reset(snap);
  }

  async function tailLoop(): Promise<void> {
    let failing = false;
    while (!closed) {
      try {
        if (failing) {
          // Back after a failure: Redis may have lost data (a restart without persistence) or trimmed what we missed.
          const rev = Number((await cmd.get(keys[2]!)) ?? '0');
          if (rev < lastRev) await resync(`the store rev went back from ${lastRev} to ${rev} (Redis lost its data)`);
          failing = false;
        }
        const res = (await tail.command(['XREAD', 'COUNT', '1000', 'BLOCK', String(BLOCK_MS), 'STREAMS', keys[3]!, `${lastRev}-1`])) as Array<[string, Array<[string, string[]]>]> | null;
        if (!res) continue;
        for (const [id, fields] of res[0]![1]) {
          const change = toChange(id, fields);
          const rev = change.type === 'put' ? change.entry.rev : change.rev;
          if (rev <= lastRev) continue;
          if (rev !== lastRev + 1) {
            await resync(`changes ${lastRev + 1}..${rev - 1} were trimmed from the feed before this master read them`);
            break;
          }
          lastRev = rev;
          feed?.change(change);
        }
        // The fan-out's socket writes before the next XREAD's: that one is a loopback send that wakes Redis.
        feed?.flush();
      } catch (err) {
        if (closed) return;
        failing = true;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  return {
    kind: 'remote',
    async open(f: RemoteFeed): Promise<Loaded> {
      feed = f;
      try {
        await Promise.all([cmd.connect(), tail.connect()]);
      } catch (err) {
        cmd.disconnect();
        tail.close();
        throw unavailable(`could not connect to ${spec.url!.replace(/\/\/[^@/]*@/, '//***@')}`, err);
      }
      cmdUp = true;
      cmd.on('close', () => {
        if (cmdUp) f.status((cmdUp = false));
      });
      cmd.on('ready', () => {
        if (!cmdUp) f.status((cmdUp = true));
      });
      const snap = await snapshot();
      lastRev = snap.rev;
      void tailLoop();
      return snap;
    },
    write(op: WriteOp, limits: { readonly maxKeys: number }): Promise<WriteOutcome> {
      return gate.write(op, (o) => writeScript(o, limits));
    },
    async close(): Promise<void> {
      closed = true;
      tail.close();
      await cmd.quit().catch(() => cmd.disconnect());
    },
  };

  async function writeScript(op: WriteOp, limits: { readonly maxKeys: number }): Promise<WriteOutcome> {
    let r: [number, number?, number?, (string | null)?];
    try {
      r = (await run.droverWrite(...keys, op.type, op.key, op.ifVersion === undefined ? '' : String(op.ifVersion), op.type === 'put' ? op.json : '', String(limits.maxKeys), String(FEED_MAXLEN))) as typeof r;
    } catch (err) {
      throw unavailable('the write was not confirmed (it may or may not have been made)', err);
    }
    switch (r[0]) {
      case 0:
        return { ok: false, current: r[1] ? { key: op.key, json: r[3]!, version: r[1], rev: r[2]! } : undefined };
      case 2:
        return { ok: true, change: undefined };
      case 3:
        throw new DroverError('DROVER_E_STATE_LIMIT', `the store holds ${limits.maxKeys} keys, its limit: delete keys you no longer need before adding '${op.key.slice(0, 80)}'`);
      default:
        return { ok: true, change: op.type === 'put' ? { type: 'put', entry: { key: op.key, json: op.json, version: r[1]!, rev: r[2]! } } : { type: 'del', key: op.key, rev: r[2]! } };
    }
  }
}
