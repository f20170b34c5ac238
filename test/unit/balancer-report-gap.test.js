// @ts-check
// How soon a worker reports its connection counts, by balance mode
// (src/balancer/report-gap.ts): 1 ms where the strategy reads the counts,
// RELAXED_REPORT_GAP_MS where a report only returns credit (fewer IPC
// messages per connection), the env override for every mode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RELAXED_REPORT_GAP_MS, reportGapMs } from '../../dist/balancer/report-gap.js';
import { HANDOFF_REPORT_GAP_MS } from '../../dist/protocol/handoff.js';
import { BALANCE_MODES } from '../../dist/core/enums.js';

test('the load-aware strategies keep the fresh gap; the others report less often', () => {
  assert.ok(RELAXED_REPORT_GAP_MS > HANDOFF_REPORT_GAP_MS);
  assert.equal(reportGapMs('least-connections', undefined), HANDOFF_REPORT_GAP_MS);
  assert.equal(reportGapMs('least-loaded', undefined), HANDOFF_REPORT_GAP_MS);
  for (const mode of ['round-robin', 'sticky', 'weighted', 'kernel', 'reuseport']) assert.equal(reportGapMs(mode, undefined), RELAXED_REPORT_GAP_MS, mode);
});

test('every balance mode has a decision', () => {
  for (const mode of BALANCE_MODES) {
    if (mode === 'ip-hash') continue; // an alias, canonical 'sticky' in the spec
    assert.ok([HANDOFF_REPORT_GAP_MS, RELAXED_REPORT_GAP_MS].includes(reportGapMs(mode, undefined)), mode);
  }
});

test('an unknown or missing mode gets the fresh gap', () => {
  assert.equal(reportGapMs(undefined, undefined), HANDOFF_REPORT_GAP_MS);
  assert.equal(reportGapMs('constructor', undefined), HANDOFF_REPORT_GAP_MS);
  assert.equal(reportGapMs('something-newer', undefined), HANDOFF_REPORT_GAP_MS);
});

test('DROVER_HANDOFF_REPORT_GAP_MS applies to every mode', () => {
  assert.equal(reportGapMs('round-robin', '3'), HANDOFF_REPORT_GAP_MS);
  assert.equal(reportGapMs('round-robin', ''), RELAXED_REPORT_GAP_MS);
});
