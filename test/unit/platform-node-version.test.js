// One "Node >= X.Y.Z" for every feature check (platform/node-version.cts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeAtLeast, nodeHasSince, nodeMajor, REUSEPORT_SINCE } from '../../dist/platform/node-version.cjs';
import { masterCanBindReusePort } from '../../dist/runtime/reuseport-slots.js';

test('nodeAtLeast: equal, and below/above in each component', () => {
  assert.equal(nodeAtLeast(22, 6, 1, '22.6.1'), true);
  assert.equal(nodeAtLeast(22, 6, 1, '21.9.9'), false, 'major below');
  assert.equal(nodeAtLeast(22, 6, 1, '23.0.0'), true, 'major above, lower minor and patch');
  assert.equal(nodeAtLeast(22, 6, 1, '22.5.9'), false, 'minor below');
  assert.equal(nodeAtLeast(22, 6, 1, '22.7.0'), true, 'minor above, lower patch');
  assert.equal(nodeAtLeast(22, 6, 1, '22.6.0'), false, 'patch below');
  assert.equal(nodeAtLeast(22, 6, 1, '22.6.2'), true, 'patch above');
  assert.equal(nodeAtLeast(22, 12, 0, '22.9.0'), false, 'numbers, not text: 9 < 12');
  assert.equal(nodeAtLeast(22, 9, 0, '22.12.0'), true);
});

test('nodeAtLeast: minor and patch default to 0; the "v" of process.version is read', () => {
  assert.equal(nodeAtLeast(22, undefined, undefined, '22.0.0'), true);
  assert.equal(nodeAtLeast(22, undefined, undefined, '21.99.99'), false);
  assert.equal(nodeAtLeast(22, 1, undefined, 'v22.1.0'), true);
  assert.equal(nodeAtLeast(22, 1, undefined, 'v22.0.9'), false);
});

test('nodeAtLeast: a pre-release is below the release it names, above every earlier one', () => {
  assert.equal(nodeAtLeast(24, 0, 0, 'v24.0.0-pre'), false);
  assert.equal(nodeAtLeast(24, 0, 0, '24.0.0-rc.1'), false);
  assert.equal(nodeAtLeast(23, 9, 9, 'v24.0.0-pre'), true);
  assert.equal(nodeAtLeast(23, undefined, undefined, 'v24.0.0-pre'), true);
  assert.equal(nodeAtLeast(24, 0, 0, '24.0.0+build.5'), true, 'build metadata is not a pre-release');
});

test('nodeAtLeast: no version, or not one, is below everything', () => {
  assert.equal(nodeAtLeast(0, 0, 1, ''), false);
  assert.equal(nodeAtLeast(20, 0, 0, 'x.y.z'), false);
});

test('nodeAtLeast defaults to this Node', () => {
  const [major, minor, patch] = process.versions.node.split('.').map(Number);
  assert.equal(nodeAtLeast(major, minor, patch), true);
  assert.equal(nodeAtLeast(major, minor, patch + 1), false);
  assert.equal(nodeMajor(), major);
});

test('nodeHasSince: a feature backported to older lines', () => {
  const since = ['22.12', '23.1'];
  assert.equal(nodeHasSince(since, '20.19.0'), false, 'a line below the oldest listed');
  assert.equal(nodeHasSince(since, '21.7.3'), false, 'an unlisted line between listed ones');
  assert.equal(nodeHasSince(since, '22.11.0'), false);
  assert.equal(nodeHasSince(since, '22.12.0'), true);
  assert.equal(nodeHasSince(since, '22.20.0'), true);
  assert.equal(nodeHasSince(since, '23.0.0'), false, 'the newest line before its first release');
  assert.equal(nodeHasSince(since, '23.1.0'), true);
  assert.equal(nodeHasSince(since, '24.0.0'), true, 'every line after the newest listed');
  assert.equal(nodeHasSince(since, 'v24.0.0-pre'), true);
  assert.equal(nodeHasSince(['24.1'], 'v24.1.0-pre'), false);
  assert.equal(nodeHasSince([], '24.0.0'), false);
  assert.deepEqual(REUSEPORT_SINCE, since);
});

test('nodeMajor', () => {
  assert.equal(nodeMajor('v24.0.0-pre'), 24);
  assert.equal(nodeMajor('20.19.5'), 20);
  assert.equal(nodeMajor('nonsense'), 0);
});

test('masterCanBindReusePort: 22.12+ and 23.1+ (not 23.0)', () => {
  assert.equal(masterCanBindReusePort('22.11.0'), false);
  assert.equal(masterCanBindReusePort('23.0.0'), false);
  assert.equal(masterCanBindReusePort('22.12.0'), true);
  assert.equal(masterCanBindReusePort('23.1.0'), true);
  assert.equal(masterCanBindReusePort('24.0.0'), true);
});
