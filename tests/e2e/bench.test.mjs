// Benchmark (not a timed test): a 1 GB generated raw-records file dropped on the page in headless
// Chromium. Prints time to first alerts, throughput and the browser's peak memory (PSS of every
// Chromium process this test started). Run: KEYHOLE_E2E_BENCH=1 scripts/e2e.sh, or
// node --test tests/e2e/bench.test.mjs. KEYHOLE_BENCH_MB (default 1024), KEYHOLE_BENCH_FILE.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { serve, launch, instrumentedPage, treePssKb, ROOT, OUT } from './lib.mjs';

const MB = Number(process.env.KEYHOLE_BENCH_MB || 1024);
const FILE = process.env.KEYHOLE_BENCH_FILE || `/tmp/keyhole-bench-${MB}MB.jsonl`;

function ensureFile() {
  if (fs.existsSync(FILE) && fs.statSync(FILE).size >= MB * 1e6 * 0.95) return;
  const bin = path.join(ROOT, 'target/release/keyhole-gen');
  if (!fs.existsSync(bin)) execFileSync('cargo', ['build', '--release', '-q', '-p', 'keyhole-gen'], { cwd: ROOT, stdio: 'inherit' });
  console.log(`generating ${FILE} (${MB} MB)…`);
  execFileSync(bin, ['--seed', '7', '--attacks', '--shape', 'raw-jsonl', '--size', `${MB}MB`, '--out', FILE], { stdio: 'inherit' });
}

test(`benchmark: ${MB} MB of raw records through the page`, { timeout: 3_600_000 }, async () => {
  ensureFile();
  const size = fs.statSync(FILE).size;
  const srv = await serve();
  const { browser } = await launch();
  try {
    const p = await instrumentedPage(browser);
    await p.page.goto(srv.origin + '/');
    await p.page.waitForSelector('#dropzone');
    await p.page.waitForTimeout(500);
    const base = treePssKb();
    let peak = base;
    const timer = setInterval(() => { peak = Math.max(peak, treePssKb()); }, 250);
    const t0 = Date.now();
    await p.page.setInputFiles('#file-input', FILE);
    await p.page.waitForSelector('#alert-list [data-rule], #error', { timeout: 3_000_000 });
    const tAlerts = Date.now() - t0;
    clearInterval(timer);
    peak = Math.max(peak, treePssKb());
    const err = await p.page.$('#error');
    assert.equal(err ? await err.textContent() : null, null, 'the tab died or the analysis failed');
    const st = await p.page.$eval('#status', (e) => ({ records: Number(e.dataset.records), alerts: Number(e.dataset.alerts), text: e.textContent }));
    const rules = await p.page.$$eval('#alert-list [data-rule]', (els) => new Set(els.map((e) => e.dataset.rule)).size);
    // The page stays responsive: switching tabs and scrolling the virtualised explorer.
    const t1 = Date.now();
    await p.page.click('a[data-tab="events"]');
    await p.page.waitForSelector('#events-table tr.ev');
    await p.page.$eval('#events-scroller', (e) => { e.scrollTop = e.scrollHeight / 2; });
    await p.page.waitForTimeout(300);
    await p.page.waitForSelector('#events-table tr.ev');
    const tScroll = Date.now() - t1;
    await p.page.screenshot({ path: path.join(OUT, 'bench-events.png') });
    const figures = {
      file: FILE, bytes: size, records: st.records, alerts: st.alerts, distinct_rules: rules,
      time_to_first_alerts_s: +(tAlerts / 1000).toFixed(2),
      throughput_MB_per_s: +(size / 1e6 / (tAlerts / 1000)).toFixed(1),
      peak_browser_pss_MB: +(peak / 1024).toFixed(0), baseline_pss_MB: +(base / 1024).toFixed(0),
      peak_over_input: +(((peak - base) * 1024) / size).toFixed(3),
      explorer_open_and_scroll_ms: tScroll, status: st.text,
    };
    console.log('BENCH ' + JSON.stringify(figures, null, 1));
    fs.writeFileSync(path.join(OUT, 'bench.json'), JSON.stringify(figures, null, 1));
    assert.ok(st.records > 0);
  } finally { await browser.close(); await srv.close(); }
});

// How the page's largest worker messages cross the thread boundary with each codec (JSON text,
// today's choice, vs serde-wasm-bindgen objects): encode, structured clone (MessageChannel),
// decode; medians of 7 rounds over the demo drop. Prints a table.
test('benchmark: worker message codecs (JSON text vs serde-wasm-bindgen objects)', { timeout: 600_000 }, async () => {
  const srv = await serve();
  const { browser } = await launch();
  try {
    const p = await instrumentedPage(browser);
    await p.page.goto(srv.origin + '/');
    await p.page.waitForSelector('#dropzone');
    const out = JSON.parse(await p.page.evaluate(() => wasm_bindgen.keyholeBenchCodec(7)));
    console.table(out.map((r) => ({ message: r.message, codec: r.codec, 'JSON bytes': r.json_bytes,
      'encode ms': r.encode_ms.toFixed(1), 'clone ms': r.clone_ms.toFixed(1), 'decode ms': r.decode_ms.toFixed(1), 'total ms': r.total_ms.toFixed(1) })));
    assert.equal(out.length, 4);
  } finally { await browser.close(); await srv.close(); }
});
