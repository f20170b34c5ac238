// The error catalog (src/errors.ts) and docs/errors.md must agree: every code
// documented with its exit status, nothing documented that does not exist,
// exit statuses distinct, and every code the sources use is in the catalog.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { CATALOG, DroverError, exitCodeOf, formatError } from '../../dist/errors.js';
import { ROOT } from '../helpers/paths.js';

const docs = readFileSync(path.join(ROOT, 'docs/errors.md'), 'utf8');

/** Rows of the table: | `CODE` | exit | meaning | what to do | */
function documentedRows() {
  const rows = new Map();
  for (const line of docs.split('\n')) {
    const m = /^\|\s*`(DROVER_E_[A-Z0-9_]+)`\s*\|\s*(\d+)\s*\|\s*(.*?)\s*\|\s*(.*?)\s*\|\s*$/.exec(line);
    if (!m) continue;
    assert.ok(!rows.has(m[1]), `${m[1]} is documented twice`);
    rows.set(m[1], { exitCode: Number(m[2]), meaning: m[3], todo: m[4] });
  }
  return rows;
}

test('docs/errors.md lists every catalog code with its exit status, a meaning and what to do', () => {
  const rows = documentedRows();
  for (const [code, entry] of Object.entries(CATALOG)) {
    const row = rows.get(code);
    assert.ok(row, `${code} is missing from docs/errors.md`);
    assert.equal(row.exitCode, entry.exitCode, `${code}: docs say exit ${row.exitCode}, the catalog ${entry.exitCode}`);
    assert.ok(row.meaning.length > 0, `${code}: no meaning`);
    assert.ok(row.todo.length > 0, `${code}: no "what to do"`);
  }
});

test('docs/errors.md documents no code that is not in the catalog', () => {
  for (const code of documentedRows().keys()) assert.ok(code in CATALOG, `${code} is documented but not in src/errors.ts`);
});

test('exit statuses are distinct, and none is 0', () => {
  const seen = new Map();
  for (const [code, { exitCode }] of Object.entries(CATALOG)) {
    assert.ok(Number.isInteger(exitCode) && exitCode > 0 && exitCode < 126, `${code}: exit status ${exitCode} out of range`);
    assert.ok(!seen.has(exitCode), `${code} and ${seen.get(exitCode)} share exit status ${exitCode}`);
    seen.set(exitCode, code);
  }
});

test('the exit statuses the issue names', () => {
  const expected = {
    DROVER_E_USAGE: 64,
    DROVER_E_INVALID_OPTION: 65,
    DROVER_E_SCRIPT_NOT_FOUND: 66,
    DROVER_E_SCRIPT_IS_DIRECTORY: 67,
    DROVER_E_SCRIPT_NOT_EXECUTABLE: 68,
    DROVER_E_PORT_IN_USE: 69,
    DROVER_E_WORKER_BOOT: 70,
    DROVER_E_GIVEUP: 71,
    DROVER_E_READY_TIMEOUT: 72,
  };
  for (const [code, exitCode] of Object.entries(expected)) assert.equal(CATALOG[code]?.exitCode, exitCode, code);
});

function sourceFiles(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(full));
    else if (entry.name.endsWith('.ts')) out.push(full);
  }
  return out;
}

test('every DROVER_E_ code used in src/ is in the catalog', () => {
  for (const file of sourceFiles(path.join(ROOT, 'src'))) {
    for (const [code] of readFileSync(file, 'utf8').matchAll(/DROVER_E_[A-Z0-9_]*[A-Z0-9]/g)) {
      assert.ok(code in CATALOG, `${path.relative(ROOT, file)} uses ${code}, which is not in src/errors.ts`);
    }
  }
});

test('DroverError carries code and exit status; formatError is one line ending in the code', () => {
  const err = new DroverError('DROVER_E_SCRIPT_NOT_FOUND', 'script /x.js does not exist: check the path');
  assert.equal(err.code, 'DROVER_E_SCRIPT_NOT_FOUND');
  assert.equal(err.exitCode, 66);
  assert.equal(exitCodeOf(err), 66);
  assert.equal(formatError(err), 'drover: script /x.js does not exist: check the path [DROVER_E_SCRIPT_NOT_FOUND]');
  assert.equal(exitCodeOf(new Error('x')), 1);
  assert.match(formatError(new Error('x')), /\[DROVER_E_INTERNAL\]$/);
});
