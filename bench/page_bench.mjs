// Page benchmark (issue 10): the built page served on loopback, headless Chromium drops a raw
// JSON-lines file; prints the time to the first alert and the peak PSS of every Chromium process
// (sum of /proc/<pid>/smaps_rollup), side by side with `keyhole analyze` on the same file (wall
// time, peak RSS from /usr/bin/time or getrusage). Then the floor under the page's time: the
// same file read by as many workers with nothing parsed (PAGE_NO_FLOOR=1 skips it), and that
// reading's CPU plus the CLI's own spread over every core. Prints figures, asserts nothing.
//   node bench/page_bench.mjs FILE [KEYHOLE_BIN]     (scripts/bench.sh runs it with PAGE=1)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { serve, launch, instrumentedPage, treePssKb, treeCpuByThread, ROOT } from '../tests/e2e/lib.mjs';

const FILE = process.argv[2];
const BIN = process.argv[3] || path.join(ROOT, 'target/release/keyhole');
if (!FILE || !fs.existsSync(FILE)) { console.error('usage: node bench/page_bench.mjs FILE [KEYHOLE_BIN]'); process.exit(2); }
const size = fs.statSync(FILE).size;

// keyhole analyze (all cores)
const t0 = Date.now();
const cli = spawnSync('/usr/bin/time', ['-f', '%M %U %S', BIN, 'analyze', '--format', 'jsonl', FILE], { encoding: 'utf8', maxBuffer: 1 << 30 });
const cliS = (Date.now() - t0) / 1000;
const [cliRssKb, cliUser, cliSys] = (cli.stderr.trim().split('\n').pop() || '0 0 0').split(' ').map(Number);
const cliCpu = cliUser + cliSys;
const cliAlerts = cli.stdout.split('\n').filter(Boolean).length;

const srv = await serve();
const { browser, userDataDir } = await launch();
let page = {};
let floor = [];
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
  const cpu = cpuSince(cpu0, cpu1).filter(([, v]) => v >= 0.05).sort((a, b) => b[1] - a[1]);
  page = { cpu, s, sAll, peakAt, peakMB: peak / 1024, baseMB: base / 1024, blankMB: blank / 1024, workers, records: st.records, alerts: st.alerts,
    status: st.text, error: err ? (await err.textContent()).slice(0, 300) : null };
  // The floor under the page's time: Chromium handing the same File to as many workers as the
  // page's parse workers, each unit (64 MiB, dealt in turn) read in 8 MiB slices and nothing
  // parsed, three ways (the page's BYOB reads one slice ahead, FileReaderSync, Blob.arrayBuffer).
  // A tab of its own on a same-origin 404 (no CSP there); the page's tab stays, idle.
  if (!process.env.PAGE_NO_FLOOR) floor = await readFloor(browser, srv.origin, FILE, page.workers || 2);
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
for (const f of floor) {
  console.log(`file reading alone (${f.workers} workers, ${f.method}, no parse): ${f.s.toFixed(2)} s = ${(f.s / cliS).toFixed(2)}× the CLI's time, ` +
    `${f.cpu.toFixed(2)} CPU s (${(f.cpu / f.s).toFixed(2)} cores busy)${f.error ? ' · ' + f.error : ''}`);
}
// A bound no page can beat on this machine: the cheapest reading's CPU plus the CLI's own CPU
// (native code; the page's wasm needs more), spread over every core with no wait at all.
const read = floor.filter((f) => !f.error).sort((a, b) => a.cpu - b.cpu)[0];
if (read) {
  const cores = os.availableParallelism();
  const bound = (read.cpu + cliCpu) / cores;
  console.log(`floor on ${cores} cores: (reading ${read.cpu.toFixed(2)} CPU s + the CLI's ${cliCpu.toFixed(2)} CPU s) / ${cores} = ` +
    `${bound.toFixed(2)} s = ${(bound / cliS).toFixed(2)}× the CLI's time (the page took ${(page.s / cliS).toFixed(2)}×)`);
}

/** CPU seconds by thread between two `treeCpuByThread` readings, as [name, seconds]. */
function cpuSince(c0, c1) {
  return [...c1].map(([k, v]) => [k, v - (c0.get(k) || 0)]);
}

/** Read FILE in a fresh tab by `workers` workers, no parse: wall and CPU seconds a method. */
async function readFloor(browser, origin, file, workers) {
  const out = [];
  const context = await browser.newContext();
  try {
    const tab = await context.newPage();
    await tab.goto(origin + '/read-floor-no-such-file');
    await tab.setContent('<input type="file" id="f">');
    await tab.setInputFiles('#f', file);
    for (const method of ['byob', 'sync', 'arrayBuffer']) {
      await tab.waitForTimeout(500);
      const c0 = treeCpuByThread();
      const r = await Promise.race([tab.evaluate(async ({ method, workers }) => {
        const src = `onmessage = async (e) => { try { await run(e.data); } catch (err) { postMessage({ error: String(err) }); } };
        const run = async ({ file, method, units, slice }) => {
          let sum = 0;
          const touch = (u8) => { for (let i = 0; i < u8.length; i += 4096) sum ^= u8[i]; };
          let bufs = [new ArrayBuffer(slice), new ArrayBuffer(slice)];
          const byob = (a, b, buf) => {
            const reader = file.slice(a, b).stream().getReader({ mode: 'byob' });
            const want = b - a;
            const go = async () => {
              let got = 0; let view = new Uint8Array(buf, 0, want);
              while (got < want) {
                const r = await reader.read(new Uint8Array(view.buffer, got, want - got));
                if (r.done) break;
                got += r.value.byteLength; view = r.value;
              }
              reader.releaseLock();
              return new Uint8Array(view.buffer, 0, got);
            };
            return go();
          };
          const sync = method === 'sync' ? new FileReaderSync() : null;
          for (const [from, to] of units) {
            const ranges = [];
            for (let a = from; a < to; a += slice) ranges.push([a, Math.min(to, a + slice)]);
            if (method === 'byob') {
              // two buffers, as the page: the next slice reads into the spare while this one is looked at
              let ahead = ranges.length ? byob(ranges[0][0], ranges[0][1], bufs[0]) : null;
              let spare = bufs[1];
              for (let k = 0; k < ranges.length; k++) {
                const got = await ahead;
                const next = k + 1 < ranges.length ? ranges[k + 1] : null;
                ahead = next ? byob(next[0], next[1], spare) : null;
                touch(got);
                if (next) spare = got.buffer; else bufs = [got.buffer, spare];
              }
            } else if (method === 'sync') {
              for (const [a, b] of ranges) touch(new Uint8Array(sync.readAsArrayBuffer(file.slice(a, b))));
            } else {
              for (const [a, b] of ranges) touch(new Uint8Array(await file.slice(a, b).arrayBuffer()));
            }
          }
          postMessage({ sum });
        };`;
        const url = URL.createObjectURL(new Blob([src], { type: 'text/javascript' }));
        const file = document.getElementById('f').files[0];
        const UNIT = 64 << 20; const SLICE = 8 << 20;
        const units = [];
        for (let a = 0; a < file.size; a += UNIT) units.push([a, Math.min(file.size, a + UNIT)]);
        const t0 = performance.now();
        try {
          await Promise.all([...Array(workers).keys()].map((w) => new Promise((resolve, reject) => {
            const wk = new Worker(url);
            wk.onmessage = (m) => { wk.terminate(); if (m.data.error) reject(new Error(m.data.error)); else resolve(); };
            wk.onerror = (e) => { wk.terminate(); reject(new Error(e.message)); };
            wk.postMessage({ file, method, slice: SLICE, units: units.filter((_, i) => i % workers === w) });
          })));
        } catch (e) { return { s: (performance.now() - t0) / 1000, error: String(e) }; }
        return { s: (performance.now() - t0) / 1000 };
      }, { method, workers }),
      // a reading method that never finishes is reported, not waited for (60 s + 10 s a GB)
      new Promise((resolve) => setTimeout(() => resolve({ s: NaN, error: 'did not finish' }), 60_000 + size / 1e5))]);
      const cpu = cpuSince(c0, treeCpuByThread()).reduce((a, [, v]) => a + v, 0);
      out.push({ method, workers, s: r.s, cpu, error: r.error });
      if (r.error) break;
    }
  } finally { await context.close(); }
  return out;
}
