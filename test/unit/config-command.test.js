// Bare commands on PATH (drover start npm -- start) and default app names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { findOnPath, resolveScriptPath } from '../../dist/config/command.js';
import { defaultAppName } from '../../dist/config/names.js';
import { tempDir } from '../helpers/tmp.js';

test('a bare command is found on PATH; a file in cwd wins; paths are never searched', (t) => {
  const dir = tempDir(t, 'drover-path-');
  const bin = path.join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(path.join(bin, 'tool'), '#!/bin/sh\n');
  chmodSync(path.join(bin, 'tool'), 0o755);
  writeFileSync(path.join(bin, 'plain'), '');
  assert.equal(findOnPath('tool', `relative:${bin}`), path.join(bin, 'tool'));
  assert.equal(findOnPath('plain', bin), undefined, 'not executable');
  assert.equal(findOnPath('./tool', bin), undefined);
  assert.equal(resolveScriptPath(dir, 'tool', bin), path.join(bin, 'tool'));
  writeFileSync(path.join(dir, 'tool'), '');
  assert.equal(resolveScriptPath(dir, 'tool', bin), path.join(dir, 'tool'), 'the file in cwd wins');
  assert.equal(resolveScriptPath(dir, 'missing.js', bin), path.join(dir, 'missing.js'));
});

test('defaultAppName: usable names from any file name', () => {
  assert.equal(defaultAppName('/srv/my server.js'), 'my-server');
  assert.equal(defaultAppName('api.ts'), 'api');
  assert.equal(defaultAppName('/usr/bin/npm'), 'npm');
  assert.equal(defaultAppName('__init__.js'), 'init__');
  assert.equal(defaultAppName('ünï cödé.mjs'), 'n-c-d-');
  assert.equal(defaultAppName('x'.repeat(80) + '.js').length, 64);
  assert.equal(defaultAppName('***.js'), 'app');
});
