// Page benchmark (issue 10): the built page served on loopback, headless Chromium drops a raw
// JSON-lines file; prints the time to the first alert and the peak PSS of every Chromium process
// (sum of /proc/<pid>/smaps_rollup), side by side with `keyhole analyze` on the same file (wall
// time, peak RSS from /usr/bin/time or getrusage). Prints figures, asserts nothing.
//   node bench/page_bench.mjs FILE [KEYHOLE_BIN]     (scripts/bench.sh runs it with PAGE=1)
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { serve, launch, instrumentedPage, treePssKb, treeCpuByThread, ROOT } from '../tests/e2e/lib.mjs';

const FILE = process.argv[2];
const BIN = process.argv[3] || path.join(ROOT, 'target/release/keyhole');
if (!FILE || !fs.existsSync(FILE)) { console.error('usage: node bench/page_bench.mjs FILE [KEYHOLE_BIN]'); process.exit(2); }
const size = fs.statSync(FILE).size;

// keyhole analyze (all cores)
const t0 = Date.now();
const cli = spawnSync('/usr/bin/time', ['-f', '%M', BIN, 'analyze', '--format', 'jsonl', FILE], { encoding: 'utf8', maxBuffer: 1 << 30 });
const cliS = (Date.now() - t0) / 1000;
const cliRssKb = Number((cli.stderr.trim().split('\n').pop() || '0'));
const cliAlerts = cli.stdout.split('\n').filter(Boolean).length;

const srv = await serve();
const { browser, userDataDir } = await launch();
let page = {};
try {
  const p = await instrumentedPage(browser);
  // PAGE_MEMORY_LIMIT=BYTES: the ceiling the page's estimate compares with (localStorage
  // keyhole.memoryLimit), e.g. above wasm32's 4 GiB to see where a drop really stops.
  if (process.env.PAGE_MEMORY_LIMIT) {
    await p.page.addInitScript((v) => localStorage.setItem('keyhole.memoryLimit', v), process.env.PAGE_MEMORY_LIMIT);
  }
  // PAGE_WORKERS=N: that many parse workers instead of one a core (localStorage
  // keyhole.parseWorkers), e.g. 1 on two cores to leave the browser's file threads a core.
  if (process.env.PAGE_WORKERS) {
    await p.page.addInitScript((v) => localStorage.setItem('keyhole.parseWorkers', v), process.env.PAGE_WORKERS);
  }
  if (process.env.PAGE_CONSOLE) p.page.on('console', (m) => console.log('console:', m.text()));
  // Chromium itself (a blank tab), then the idle page: what the drop adds is measured above that.
  await p.page.goto('about:blank');
  await p.page.waitForTimeout(500);
  const blank = treePssKb();
  await p.page.goto(srv.origin + '/');
  await p.page.waitForSelector('#dropzone');
  await p.page.waitForTimeout(500);
  const base = treePssKb();
  let peak = base; let workers = 0;
  // when the peak came (seconds after the drop), to tell reading's peak from analysis's
  let peakAt = 0; let tDrop = Date.now();
  const timer = setInterval(() => { const v = treePssKb(); if (v > peak) { peak = v; peakAt = (Date.now() - tDrop) / 1000; } }, 200);
  const poll = setInterval(async () => {
    try { workers = Math.max(workers, Number(await p.page.getAttribute('#progress', 'data-workers', { timeout: 50 })) || 0); } catch { /* */ }
  }, 500);
  const cpu0 = treeCpuByThread();
  const t1 = Date.now();
  tDrop = t1;
  await p.page.setInputFiles('#file-input', FILE);
  await p.page.waitForSelector('#alert-list [data-rule], #error, #too-big', { timeout: 3_600_000 });
  const s = (Date.now() - t1) / 1000;
  const cpu1 = treeCpuByThread();
  clearInterval(poll);
  const err = await p.page.$('#error, #too-big');
  // the workbook's event panels follow the alerts (the peak memory counts them too)
  await p.page.waitForSelector('#status[data-done="1"]', { timeout: 600_000 }).catch(() => {});
  const sAll = (Date.now() - t1) / 1000;
  clearInterval(timer);
  { const v = treePssKb(); if (v > peak) { peak = v; peakAt = (Date.now() - t1) / 1000; } }
  const st = await p.page.$eval('#status', (e) => ({ records: Number(e.dataset.records), alerts: Number(e.dataset.alerts), text: e.textContent })).catch(() => ({}));
  const cpu = [...cpu1].map(([k, v]) => [k, v - (cpu0.get(k) || 0)]).filter(([, v]) => v >= 0.05).sort((a, b) => b[1] - a[1]);
  page = { cpu, s, sAll, peakAt, peakMB: peak / 1024, baseMB: base / 1024, blankMB: blank / 1024, workers, records: st.records, alerts: st.alerts,
    status: st.text, error: err ? (await err.textContent()).slice(0, 300) : null };
} finally { await browser.close(); await srv.close(); fs.rmSync(userDataDir, { recursive: true, force: true }); }

const mb = size / 1e6;
console.log(`file: ${FILE} (${mb.toFixed(0)} MB)`);
console.log('| | time to first alert / wall (s) | MB/s | peak memory (MB) | memory / input | alerts |');
console.log('|---|---|---|---|---|---|');
console.log(`| keyhole analyze (all cores) | ${cliS.toFixed(2)} | ${(mb / cliS).toFixed(0)} | RSS ${(cliRssKb / 1024).toFixed(0)} | ${(cliRssKb * 1024 / size).toFixed(3)} | ${cliAlerts} |`);
console.log(`| page, headless Chromium (${page.workers} parse workers) | ${page.s?.toFixed(2)} | ${(mb / page.s).toFixed(0)} | PSS ${page.peakMB?.toFixed(0)} (baseline ${page.baseMB?.toFixed(0)}) | ${(page.peakMB * 1048576 / size).toFixed(3)} | ${page.alerts} |`);
if (page.peakMB) {
  const drop = page.peakMB - page.baseMB;
  console.log(`page memory: Chromium with a blank tab ${page.blankMB.toFixed(0)} MB, the idle page ${page.baseMB.toFixed(0)} MB, ` +
    `the drop adds ${drop.toFixed(0)} MB = ${(drop * 1048576 / size).toFixed(3)} × input (peak PSS ${page.peakMB.toFixed(0)} MB, ${page.peakAt.toFixed(1)} s after the drop)`);
}
if (page.cpu) {
  const all = page.cpu.reduce((a, [, v]) => a + v, 0);
  console.log(`page CPU to the first alert: ${all.toFixed(2)} s in all (${(all / page.s).toFixed(2)} cores busy) — ` +
    page.cpu.map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', '));
}
if (page.status) console.log(`page status line: ${page.status}`);
if (page.sAll) console.log(`page: every workbook panel at ${page.sAll.toFixed(2)} s (the alerts at ${page.s.toFixed(2)} s)`);
console.log(`page / CLI time: ${(page.s / cliS).toFixed(2)}×${page.error ? ' · page said: ' + page.error : ''}`);
