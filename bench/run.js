#!/usr/bin/env node
// Benchmark harness entry.
//
//   npm run bench                          # build, then every scenario
//   node bench/run.js [scenario ...] [--quick] [--out=path]
//
// Scenarios are the files in bench/scenarios/ (ids: their `id` export, e.g.
// `throughput`, `crash`); adding a scenario means adding a file there. They run
// one after the other; every process they start is ended before the next one
// (checked), and docs/benchmarks.md is overwritten with the results. Before each
// scenario of a full run the harness waits (30 s at most) for a quiet machine
// (lib/quiet.js).
//
// A scenario module's default export:
//   id, order (sort key), title,
//   params({ quick }) -> object        parameters (shown in the doc),
//   async run(ctx) -> data             ctx = { quick, subjects, log }; each subject has
//                                      id, label, unavailable (reason or undefined) and
//                                      start({ port }) -> { url, tracker, stop() } (lib/subjects.js),
//   render(data, ctx) -> markdown,
//   targets(data) -> [{ name, ok: true|false|null, value, why }]   (optional; null = not evaluated)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cleanupAll, installCleanupHandlers, killMarked, liveGroups } from './lib/procs.js';
import { waitQuiet } from './lib/quiet.js';
import { code, table, verdict } from './lib/report.js';
import { SUBJECTS, ROOT, APP, WORKERS } from './lib/subjects.js';

const here = path.dirname(fileURLToPath(import.meta.url));

async function loadScenarios() {
  const dir = path.join(here, 'scenarios');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.js')).sort();
  const list = [];
  for (const f of files) {
    const mod = (await import(pathToFileURL(path.join(dir, f)).href)).default;
    if (mod?.id && typeof mod.run === 'function' && typeof mod.render === 'function') list.push({ ...mod, file: `bench/scenarios/${f}` });
  }
  return list.sort((a, b) => (a.order ?? 100) - (b.order ?? 100));
}

function parseArgs(argv, scenarios) {
  const opts = { quick: false, out: path.join(ROOT, 'docs/benchmarks.md'), only: [] };
  for (const a of argv) {
    if (a === '--quick') opts.quick = true;
    else if (a.startsWith('--out=')) opts.out = path.resolve(a.slice(6));
    else if (a === '-h' || a === '--help') {
      console.log(`usage: node bench/run.js [${scenarios.map((s) => s.id).join('|')} ...] [--quick] [--out=file]`);
      process.exit(0);
    } else if (a.startsWith('-')) throw Object.assign(new Error(`unknown option ${a}`), { usage: true });
    else opts.only.push(a);
  }
  for (const id of opts.only) {
    if (!scenarios.some((s) => s.id === id)) {
      throw Object.assign(new Error(`unknown scenario '${id}' (have: ${scenarios.map((s) => s.id).join(', ')})`), { usage: true });
    }
  }
  return opts;
}

function gitRev() {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return 'no commit yet';
  }
}

function machine() {
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    model: cpus[0]?.model?.trim() ?? 'unknown',
    memGiB: (os.totalmem() / 2 ** 30).toFixed(1),
    kernel: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

const log = (...a) => console.log(...a);

async function main() {
  installCleanupHandlers();
  const all = await loadScenarios();
  const opts = parseArgs(process.argv.slice(2), all);
  const selected = opts.only.length ? all.filter((s) => opts.only.includes(s.id)) : all;
  const subjects = SUBJECTS.map((s) => ({ ...s, unavailable: s.available() ?? undefined }));
  for (const s of subjects) if (s.unavailable) log(`note: ${s.label} not run: ${s.unavailable}`);
  const ctx = { quick: opts.quick, subjects, log };
  const startedAt = new Date();
  ctx.loadBefore = os.loadavg();
  const results = [];

  for (const sc of selected) {
    log(`== ${sc.title}${opts.quick ? ' (quick)' : ''}`);
    const quiet = opts.quick ? null : await waitQuiet({ cores: os.cpus().length });
    if (quiet) log(`  machine quiet after ${quiet.waitedMs} ms (last second: ${quiet.lastCores.toFixed(2)} cores busy)`);
    const t0 = Date.now();
    let data = null;
    let error = null;
    try {
      data = await sc.run(ctx);
    } catch (err) {
      error = err.stack || String(err);
      log(`  scenario failed: ${err.message}`);
    }
    // Nothing may outlive a scenario.
    await cleanupAll();
    const leftGroups = liveGroups();
    const leftPids = await killMarked();
    const leak = leftGroups.length || leftPids.length ? `left behind and killed: groups ${leftGroups.join(',') || '-'}, pids ${leftPids.join(',') || '-'}` : null;
    if (leak) log(`  WARNING ${leak}`);
    results.push({ sc, data, error, leak, quiet, seconds: (Date.now() - t0) / 1000 });
  }

  ctx.loadAfter = os.loadavg();
  const doc = render({ opts, ctx, subjects, results, startedAt });
  fs.mkdirSync(path.dirname(opts.out), { recursive: true });
  fs.writeFileSync(opts.out, doc);
  log(`wrote ${path.relative(process.cwd(), opts.out)}`);
  return results.some((r) => r.error) ? 1 : 0;
}

function render({ opts, ctx, subjects, results, startedAt }) {
  const m = machine();
  const lines = [];
  lines.push('# Benchmarks');
  lines.push('');
  lines.push(`Generated by ${code(`node bench/run.js${process.argv.slice(2).length ? ' ' + process.argv.slice(2).join(' ') : ''}`)} — do not edit by hand; every number below is measured by that run.`);
  lines.push('');
  lines.push(
    table(
      ['', ''],
      [
        ['Date', startedAt.toISOString()],
        ['Node', process.version],
        ['Machine', `${m.cores} cores (${m.model}), ${m.memGiB} GiB RAM, ${m.kernel}`],
        ['drover', `git ${gitRev()}`],
        ['Load average (1/5/15 min)', `${ctx.loadBefore.map((x) => x.toFixed(2)).join(' / ')} before, ${ctx.loadAfter.map((x) => x.toFixed(2)).join(' / ')} after (other work on the machine skews the numbers)`],
        ['Mode', opts.quick ? '`--quick` (short smoke run: fewer/shorter runs; do not quote these numbers)' : 'full'],
        ['Scenarios', results.map((r) => `${r.sc.id} (${r.seconds.toFixed(0)} s)`).join(', ')],
      ],
    ),
  );
  lines.push('');
  lines.push(
    `The load generator (autocannon) runs in the harness process on the same ${m.cores} cores as the subject, against 127.0.0.1 only; its own CPU use caps and skews throughput numbers, so compare subjects with each other, not with other machines.`,
  );
  lines.push('');
  lines.push('## Subjects');
  lines.push('');
  lines.push(`Each runs ${code(APP)} (an HTTP hello world listening on \`process.env.PORT\`) with ${WORKERS} workers, on a free port picked per start (bind port 0, close), from ${code(ROOT)}.`);
  lines.push('');
  lines.push(
    table(
      ['Subject', 'Command', 'Stop', 'Status'],
      subjects.map((s) => [
        s.label,
        code(s.command),
        s.id === 'pm2' ? '`pm2 kill` (temporary `PM2_HOME` under the OS tmpdir, removed after; the killed daemon may show as `<defunct>` in `ps` until PID 1 reaps it)' : 'SIGTERM to the master, SIGKILL of its process group after 8 s',
        s.unavailable ? `not run: ${s.unavailable}` : 'run',
      ]),
    ),
  );
  lines.push('');
  lines.push(
    'Node cluster RR and SCHED_NONE: `bench/apps/node-cluster.js`, a minimal supervisor that sets `cluster.schedulingPolicy` before forking, re-forks a worker on exit and logs JSON lifecycle lines shaped like drover\'s. Readiness for every subject: HTTP 200 on `/` and both workers up (`listening` lines; for PM2 status `online` in its process list).',
  );
  lines.push('');

  const targets = [];
  for (const r of results) {
    if (r.data && typeof r.sc.targets === 'function') for (const t of r.sc.targets(r.data)) targets.push({ scenario: r.sc.id, ...t });
  }
  lines.push('## Targets');
  lines.push('');
  if (targets.length) {
    lines.push(
      table(
        ['Scenario', 'Target', 'Measured', 'Result'],
        targets.map((t) => [t.scenario, t.name, t.value, verdict(t.ok, t.why ?? 'not measured')]),
      ),
    );
  } else lines.push('No target could be evaluated in this run.');
  lines.push('');

  for (const r of results) {
    lines.push(`## ${r.sc.title}`);
    lines.push('');
    const before = r.quiet ? ` Started after waiting ${(r.quiet.waitedMs / 1000).toFixed(0)} s for a quiet machine (the second before it: ${r.quiet.lastCores.toFixed(2)} cores busy).` : '';
    lines.push(`Scenario ${code(r.sc.file)}, parameters ${code(JSON.stringify(r.sc.params ? r.sc.params(ctx) : {}))}.${before}`);
    lines.push('');
    if (r.error) {
      lines.push('The scenario failed:');
      lines.push('');
      lines.push('```');
      lines.push(r.error);
      lines.push('```');
    }
    if (r.data) lines.push(r.sc.render(r.data, ctx));
    if (r.leak) {
      lines.push('');
      lines.push(`**Warning:** processes outlived the scenario (${r.leak}).`);
    }
    lines.push('');
  }
  lines.push('## How to run');
  lines.push('');
  lines.push('```sh');
  lines.push('npm run bench                              # build, then all scenarios (about 20 min; balance alone about 13)');
  lines.push('node bench/run.js throughput crash         # select scenarios: throughput crash reload spares balance rebalance');
  lines.push('node bench/run.js --quick                  # smoke run, about 4 min (do not quote its numbers)');
  lines.push('```');
  lines.push('');
  return lines.join('\n');
}

main()
  .then(async (code) => {
    await cleanupAll();
    process.exit(code);
  })
  .catch(async (err) => {
    console.error(err.usage ? `bench: ${err.message}` : err.stack || err);
    await cleanupAll();
    process.exit(1);
  });
