import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLineLogger } from '../../dist/logs/line-logger.js';

const collect = (options) => {
  const lines = [];
  const log = createLineLogger({ ...options, sink: (line) => lines.push(line) });
  return { log, lines, records: () => lines.map((l) => JSON.parse(l)) };
};

test('lines are in pino layout: level, time, bindings, fields, msg, one per line', () => {
  const { log, lines, records } = collect({ level: 'info', base: { app: 'api' } });
  const before = Date.now();
  log.info({ event: 'fork', wid: 3 }, 'worker 3 started');
  log.warn('plain message');
  assert.ok(lines.every((l) => l.endsWith('\n') && l.indexOf('\n') === l.length - 1));
  const [a, b] = records();
  assert.deepEqual(Object.keys(a), ['level', 'time', 'app', 'event', 'wid', 'msg']);
  assert.equal(a.level, 30);
  assert.ok(a.time >= before && a.time <= Date.now());
  assert.deepEqual({ ...b, time: 0 }, { level: 40, time: 0, app: 'api', msg: 'plain message' });
});

test('calls below the level write nothing; silent writes nothing at all', () => {
  const warn = collect({ level: 'warn' });
  warn.log.debug({ x: 1 }, 'no');
  warn.log.info('no');
  warn.log.error({ code: 'E' }, 'yes');
  warn.log.fatal('yes');
  assert.deepEqual(warn.records().map((r) => r.level), [50, 60]);
  const silent = collect({ level: 'silent' });
  for (const m of ['trace', 'debug', 'info', 'warn', 'error', 'fatal']) silent.log[m]('x');
  assert.equal(silent.lines.length, 0);
});

test('timestamp: false leaves out time', () => {
  const { log, records } = collect({ level: 'trace', timestamp: false });
  log.trace({ n: 1 });
  assert.deepEqual(records(), [{ level: 10, n: 1 }]);
});
