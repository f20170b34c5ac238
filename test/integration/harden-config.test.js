// Config problems that used to come out as internal errors (exit 1 with a
// stack) are config errors (issue 15): a YAML alias bomb, a JS config whose
// getter or Proxy throws, and timer options above 2^31-1 ms (Node fires those
// after 1 ms), from a file and from a flag.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { APP, daemonPid, fails, makeHome, processesOf } from '../helpers/daemon.js';
import { ROOT } from '../helpers/drover.js';

const fx = (name) => path.join(ROOT, 'test/fixtures/harden', name);
const CONFIG = { code: 'DROVER_E_CONFIG', exitCode: 78 };

test('alias bombs and throwing getters or proxies in config files: exit 78 naming the key, no stack, nothing started', async (t) => {
  const home = makeHome(t);
  const cases = [
    ['alias-bomb.yaml', /alias-bomb\.yaml: Excessive alias count.*expand the aliases/],
    ['getter-throws.config.mjs', /getter-throws\.config\.mjs: apps\[0\]\.instances: reading it threw: instances are computed elsewhere/],
    ['proxy-throws.config.cjs', /proxy-throws\.config\.cjs: apps\[0\]: listing its keys threw: no keys for you/],
  ];
  for (const [file, message] of cases) {
    const r = await fails(home, ['start', fx(file)], { ...CONFIG, message });
    assert.doesNotMatch(r.stderr, /\n\s+at /, `${file}: a stack trace`);
  }
  assert.equal(daemonPid(home), undefined, 'no daemon started');
  assert.deepEqual(processesOf(home), []);
});

test('durations above 2^31-1 ms are rejected with a message, in a file and as a flag', async (t) => {
  const home = makeHome(t);
  await fails(home, ['start', fx('huge-timeout.json')], { ...CONFIG, message: /apps\[0\]\.readyTimeoutMs: .*2147483647.*3000000000/ });
  for (const flag of ['--ready-timeout-ms', '--heartbeat-timeout-ms', '--kill-timeout-ms', '--restart-window-ms', '--min-uptime-ms', '--heartbeat-interval-ms', '--restart-delay-ms', '--max-restart-delay-ms', '--watch-debounce-ms']) {
    await fails(home, ['run', APP, flag, '2147483648'], { code: 'DROVER_E_INVALID_OPTION', exitCode: 65, message: new RegExp(`${flag}: .*(at most|<=) 2147483647`) });
  }
  assert.deepEqual(processesOf(home), []);
});
