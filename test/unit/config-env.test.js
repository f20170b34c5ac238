import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv, readEnvFile } from '../../dist/config/env-file.js';
import { buildEnv, redactEnv, isSecretEnvKey, REDACTED } from '../../dist/config/env.js';
import { loadConfigFile } from '../../dist/config/load.js';
import { configFixture } from '../helpers/config.js';
import { tempDir } from '../helpers/tmp.js';

test('parseEnv: the dotenv format', () => {
  const text = [
    '# comment',
    '',
    'PLAIN=value',
    'SPACED = spaced value  ',
    'export EXPORTED=yes',
    'EMPTY=',
    'INLINE=abc # a comment',
    'HASH=abc#not-a-comment',
    "SINGLE='literal \\n $HOME # kept'",
    'DOUBLE="a\\nb\\t\\"q\\" \\\\ # kept"',
    'BACKTICK=`it\'s "x"`',
    'MULTI="line1',
    'line2"',
    'URL=postgres://u:p@h/db?x=1',
    'EQUALS=a=b=c',
    '  INDENTED=1',
    'DOTTED.KEY=ok',
    'QUOTED_THEN_COMMENT="v" # c',
  ].join('\n');
  assert.deepEqual(parseEnv(text), {
    PLAIN: 'value',
    SPACED: 'spaced value',
    EXPORTED: 'yes',
    EMPTY: '',
    INLINE: 'abc',
    HASH: 'abc#not-a-comment',
    SINGLE: 'literal \\n $HOME # kept',
    DOUBLE: 'a\nb\t"q" \\ # kept',
    BACKTICK: 'it\'s "x"',
    MULTI: 'line1\nline2',
    URL: 'postgres://u:p@h/db?x=1',
    EQUALS: 'a=b=c',
    INDENTED: '1',
    'DOTTED.KEY': 'ok',
    QUOTED_THEN_COMMENT: 'v',
  });
});

test('parseEnv: CRLF, BOM, later keys win', () => {
  assert.deepEqual(parseEnv('\uFEFFA=1\r\nB="x"\r\nA=2\r\n'), { A: '2', B: 'x' });
});

test('parseEnv: errors carry the line number', () => {
  const cases = [
    ['A=1\nthis is not an assignment\n', 2, /expected KEY=VALUE/],
    ['A=1\n\n1BAD=x\n', 3, /invalid variable name "1BAD"/],
    ['A=1\nB="unterminated\nC=3\n', 2, /unterminated " quote for B/],
    ['A="x" trailing\n', 1, /unexpected "trailing"/],
  ];
  for (const [text, line, message] of cases) {
    assert.throws(
      () => parseEnv(text),
      (e) => e.name === 'EnvFileSyntaxError' && e.line === line && message.test(e.message),
      JSON.stringify(text),
    );
  }
});

test('readEnvFile: DROVER_E_CONFIG with file:line', async (t) => {
  const dir = tempDir(t, 'drover-envfile-');
  const file = path.join(dir, 'bad.env');
  writeFileSync(file, 'A=1\nnope\n');
  await assert.rejects(readEnvFile(file), (e) => e.code === 'DROVER_E_CONFIG' && e.message.startsWith(`${file}:2:`));
  await assert.rejects(readEnvFile(path.join(dir, 'missing.env')), (e) => e.code === 'DROVER_E_CONFIG' && /does not exist/.test(e.message));
});

test('buildEnv: caller env + declared env, recomputed, removed keys gone', () => {
  const caller = { PATH: '/bin', PORT: '8080', NODE_UNIQUE_ID: '3', NODE_CHANNEL_FD: '4', UNSET: undefined };
  const first = buildEnv(caller, { PORT: '3000', FEATURE: 'on' });
  assert.deepEqual(first, { PATH: '/bin', PORT: '3000', FEATURE: 'on' });
  // The config lost FEATURE: the next start must not carry it over.
  const second = buildEnv(caller, { PORT: '3000' });
  assert.deepEqual(second, { PATH: '/bin', PORT: '3000' });
  assert.equal('FEATURE' in second, false);
  // No aliasing: changing the result never changes the inputs.
  first.X = '1';
  assert.equal(caller.X, undefined);
});

test('secret keys and redactEnv', () => {
  for (const key of ['DB_PASSWORD', 'API_KEY', 'APIKEY', 'GITHUB_TOKEN', 'JWT_SECRET', 'PRIVATE_KEY', 'AWS_CREDENTIALS', 'passwd', 'BASIC_AUTH']) {
    assert.equal(isSecretEnvKey(key), true, key);
  }
  for (const key of ['PORT', 'NODE_ENV', 'PATH', 'GIT_AUTHOR_NAME']) assert.equal(isSecretEnvKey(key), false, key);
  assert.equal(isSecretEnvKey('STRIPE', ['STRIPE']), true);
  const out = redactEnv({ PORT: '1', DB_PASSWORD: 'hunter2', STRIPE: 'sk', DATABASE_URL: 'postgres://app:s3cret@db:5432/x', NOPE: undefined }, { secretKeys: ['STRIPE'] });
  assert.deepEqual(out, { PORT: '1', DB_PASSWORD: REDACTED, STRIPE: REDACTED, DATABASE_URL: `postgres://app:${REDACTED}@db:5432/x` });
  assert.equal(JSON.stringify(out).includes('hunter2'), false);
  assert.equal(JSON.stringify(out).includes('s3cret'), false);
});

test('config: automatic .env, env_file lists, envFile: false, precedence', async () => {
  const r = await loadConfigFile(configFixture('envs', 'drover.config.json'), {
    env: 'production',
    callerEnv: { PATH_LIKE_CALLER: 'from the shell' },
  });
  const [auto, explicit, none] = r.apps;
  // .env < caller env (dotenv rule: not overridden) < declared env
  assert.deepEqual(auto.env, { FROM_DOTENV: 'overridden by env', EXPORTED: 'yes', DECLARED: 'yes' });
  // env_file list in order (later wins), relative to the app cwd; the automatic .env is not read then.
  assert.deepEqual(explicit.env, { COMMON: '1', SHARED: 'extra wins', MULTI: 'line1\nline2', MODE: 'prod' });
  assert.deepEqual(none.env, {});
  assert.deepEqual(r.warnings, []);
});

test('config: a broken .env fails the load with the env file line', async (t) => {
  const dir = tempDir(t, 'drover-dotenv-');
  writeFileSync(path.join(dir, '.env'), 'OK=1\nOK2=2\n=broken\n');
  writeFileSync(path.join(dir, 'drover.config.json'), JSON.stringify({ apps: [{ script: 'a.js' }] }));
  await assert.rejects(
    loadConfigFile(path.join(dir, 'drover.config.json'), { callerEnv: {} }),
    (e) => e.code === 'DROVER_E_CONFIG' && e.message.includes(`${path.join(dir, '.env')}:3:`) && /drover\.config\.json/.test(e.message),
  );
});

test('config: env values must be scalars', async (t) => {
  const dir = tempDir(t, 'drover-envtype-');
  writeFileSync(path.join(dir, 'drover.config.json'), JSON.stringify({ apps: [{ script: 'a.js', env: { OK: 1, BAD: { x: 1 } }, env_prod: 'x' }] }));
  await assert.rejects(loadConfigFile(path.join(dir, 'drover.config.json'), { callerEnv: {} }), (e) => {
    assert.match(e.message, /apps\[0\]\.env\.BAD: expected a string, got an object/);
    assert.match(e.message, /apps\[0\]\.env_prod: expected an object/);
    return true;
  });
});
