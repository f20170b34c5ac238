#!/usr/bin/env node
// Paired A/B of two drover builds on one messaging case (bench/messaging.js's
// round trip, its subjects and its measure()): this worktree's dist/ against
// another build's, in one process, rounds interleaved and the order rotated
// every round, so load from outside hits both alike. Nothing is written.
//
//   node bench/messaging-ab.js --base <dist dir> [--size 1024] [--inflight 1] [--shape records|text]
//        [--mode v8|json] [--rounds 30] [--seconds 1] [--raw]
//
// --base: a copy of another build's dist/ (e.g. `cp -r dist /tmp/dist-base` before a
// change). It runs from a temporary package root (this package.json, bench/messaging.js
// and node_modules beside a copy of that dist/), so its worker imports drover/worker
// from the same build as its master. --raw adds raw process.send (json) as a third subject.
//
// It prints, per subject, the median round trips/s and CPU per round trip of each end,
// and the median and quartiles of the paired ratios (this build / base, round by round):
// on a shared 2-core machine one round's ratio varies by +-10% and more at 1 KB x 1, so
// a difference of a few percent needs tens of rounds, and the quartiles say how far to trust it.
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, pairedRatios, quartiles, rotatedIndex } from './lib/paired.js';
import * as current from './messaging.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function parseArgs(argv) {
  const args = { base: undefined, size: 1024, inflight: 1, shape: 'records', mode: 'v8', rounds: 30, seconds: 1, raw: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--base') args.base = path.resolve(argv[++i]);
    else if (a === '--size') args.size = Number(argv[++i]);
    else if (a === '--inflight') args.inflight = Number(argv[++i]);
    else if (a === '--shape') args.shape = argv[++i];
    else if (a === '--mode') args.mode = argv[++i];
    else if (a === '--rounds') args.rounds = Number(argv[++i]);
    else if (a === '--seconds') args.seconds = Number(argv[++i]);
    else if (a === '--raw') args.raw = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (!args.base) throw new Error('--base <dist dir> is required: a copy of the build to compare against');
  if (args.shape !== 'records' && args.shape !== 'text') throw new Error(`--shape takes records or text, not ${args.shape}`);
  if (args.mode !== 'v8' && args.mode !== 'json') throw new Error(`--mode takes v8 or json, not ${args.mode}`);
  return args;
}

/** A package root for the base build: bench/messaging.js resolves dist/ and drover/worker from its own root. */
function baseRoot(dist) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'drover-ab-'));
  cpSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
  cpSync(path.join(ROOT, 'bench/messaging.js'), path.join(dir, 'bench/messaging.js'));
  cpSync(path.join(ROOT, 'bench/lib/paired.js'), path.join(dir, 'bench/lib/paired.js'));
  cpSync(path.join(ROOT, 'bench/lib/time.js'), path.join(dir, 'bench/lib/time.js'));
  cpSync(path.join(ROOT, 'bench/lib/contract-bound.js'), path.join(dir, 'bench/lib/contract-bound.js'));
  cpSync(dist, path.join(dir, 'dist'), { recursive: true });
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return dir;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const dir = baseRoot(args.base);
  const subjects = [];
  try {
    const base = await import(path.join(dir, 'bench/messaging.js'));
    subjects.push({ name: `base (${args.base})`, s: await base.droverSubject(args.mode) });
    subjects.push({ name: 'this build', s: await current.droverSubject(args.mode) });
    if (args.raw) subjects.push({ name: 'raw process.send (json)', s: await current.rawSubject('json') });
    const payload = current.makePayload(args.size, args.shape);
    const rows = subjects.map(() => []);
    for (let round = 0; round < args.rounds; round++) {
      for (let k = 0; k < subjects.length; k++) {
        const i = rotatedIndex(k, round, subjects.length);
        const { s } = subjects[i];
        rows[i][round] = await current.measure(() => s.roundTrip(payload), {
          inflight: args.inflight,
          seconds: args.seconds,
          warmup: round === 0 ? (args.size > 4096 ? 50 : 500) : 0,
          cpu: current.cpuProbe(s.pid),
        });
      }
    }
    const cpu = (m) => m.cpuMaster + (m.cpuWorker ?? NaN);
    const load = os.loadavg().map((l) => l.toFixed(1)).join(' ');
    process.stdout.write(`${args.shape} ${args.size} B x ${args.inflight} in flight, ${args.mode} mode: ${args.rounds} rounds of ${args.seconds} s, order rotated per round; load at the end ${load}\n`);
    subjects.forEach(({ name }, i) => {
      const r = rows[i];
      const rps = median(r.map((m) => m.rps));
      const vsBase = pairedRatios(r, rows[0]);
      const cpuVsBase = pairedRatios(r, rows[0], cpu);
      const [q1, q3] = quartiles(vsBase);
      process.stdout.write(
        `${name}\n  ${Math.round(rps)} round trips/s; CPU per round trip: master ${median(r.map((m) => m.cpuMaster)).toFixed(1)} us, worker ${median(r.map((m) => m.cpuWorker)).toFixed(1)} us\n` +
          (i === 0 ? '' : `  paired / base: round trips/s ${median(vsBase).toFixed(3)} (quartiles ${q1.toFixed(3)}-${q3.toFixed(3)}), CPU per round trip (both ends) ${median(cpuVsBase).toFixed(3)}\n`),
      );
    });
  } finally {
    for (const { s } of subjects) await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
