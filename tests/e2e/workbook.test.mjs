// One engine for every number: the page's exports equal the CLI's on the same files; the HTML
// report reads without JavaScript; a dead worker is restarted and never leaves a stale result;
// `render` draws charts; daily-use details (time zone toggle, Ctrl+Enter, the muted 401
// challenge, hidden characters made visible).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { serve, launch, instrumentedPage, waitDone, shot, writeFixtures, cliBin, runQuery, ROOT, OUT } from './lib.mjs';
import { scenario, jsonl } from './fixtures.mjs';

let srv; let browser;
before(async () => { srv = await serve(); ({ browser } = await launch()); });
after(async () => { await browser?.close(); await srv?.close(); });

const GEN = path.join(ROOT, 'target/release/keyhole-gen');
// Held-out style: not the demo's seed or size.
const GEN_ARGS = ['--seed', '31337', '--days', '10', '--scale', '0.04', '--attacks'];
const LOCAL_OFFSET = '120'; // the generator's [Local Time] zone for portal-csv-local

async function open(options = {}) {
  const p = await instrumentedPage(browser, options);
  await p.page.goto(srv.origin + '/');
  await p.page.waitForSelector('#dropzone');
  return p;
}

async function download(page, selector) {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
  return fs.readFileSync(await dl.path(), 'utf8');
}

function generated(t) {
  const bin = cliBin();
  if (!fs.existsSync(GEN) || !bin) { t.skip('target/release/keyhole-gen or keyhole not built'); return null; }
  const dir = fs.mkdtempSync(path.join(OUT, 'wb-'));
  execFileSync(GEN, [...GEN_ARGS, '--shape', 'all', '--out-dir', dir], { stdio: 'ignore' });
  return { bin, dir, shapes: fs.readdirSync(dir).sort() };
}

test('every shape: the page exports the same workbook JSON, alert CSV/JSON/JSONL and HTML report as the CLI', async (t) => {
  const g = generated(t);
  if (!g) return;
  assert.ok(g.shapes.length >= 10, g.shapes.join(' '));
  const p = await open();
  await p.page.click('#settings summary');
  await p.page.fill('#set-local-offset', LOCAL_OFFSET);
  await p.page.press('#set-local-offset', 'Tab');
  await p.page.waitForFunction((o) => (localStorage.getItem('keyhole.settings.v1') || '').includes(`"local_offset_minutes":${o}`), LOCAL_OFFSET);
  // The CLI runs where the files are, on their bare names: the page knows them by name too.
  const cli = (args) => execFileSync(g.bin, args, { cwd: g.dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 30 });
  const exports = [
    ['#export-workbook', ['workbook', '--format', 'json']],
    ['#export-json', ['analyze', '--format', 'json']],
    ['#export-jsonl', ['analyze', '--format', 'jsonl']],
    ['#export-csv', ['analyze', '--format', 'csv']],
  ];
  for (const name of g.shapes) {
    await p.page.setInputFiles('#file-input', [path.join(g.dir, name)]);
    const done = await waitDone(p.page);
    assert.ok(done.records > 1000, `${name}: ${done.text}`);
    for (const [sel, args] of exports) {
      const fromPage = await download(p.page, sel);
      const fromCli = cli([...args, '--local-offset', LOCAL_OFFSET, name]);
      assert.ok(fromCli.length > 100, `${name} ${args.join(' ')}: ${fromCli.length} bytes`);
      assert.equal(fromPage, fromCli, `${name}: ${sel} differs from keyhole ${args.join(' ')}`);
    }
    const report = path.join(g.dir, `${name}.report.html`);
    cli(['report', '-o', report, '--local-offset', LOCAL_OFFSET, name]);
    assert.equal(await download(p.page, '#export-report'), fs.readFileSync(report, 'utf8'), `${name}: HTML report`);
    const wb = JSON.parse(await download(p.page, '#export-workbook'));
    console.log(`${name}: ${done.records} records, ${done.alerts} alerts, ${wb.coverage.total} vaults, ${wb.grid.buckets} buckets: identical`);
  }
  fs.rmSync(g.dir, { recursive: true, force: true });
  await p.context.close();
});

test('the HTML report opens from file:// with JavaScript disabled and shows every alert and panel', async (t) => {
  const bin = cliBin();
  if (!fs.existsSync(GEN) || !bin) { t.skip('target/release/keyhole-gen or keyhole not built'); return; }
  const dir = fs.mkdtempSync(path.join(OUT, 'report-'));
  const file = path.join(dir, 'raw.jsonl');
  execFileSync(GEN, [...GEN_ARGS, '--shape', 'raw-jsonl', '--out', file], { stdio: 'ignore' });
  const report = path.join(OUT, 'report.html');
  execFileSync(bin, ['report', '-o', report, file], { stdio: 'ignore' });
  const alerts = execFileSync(bin, ['analyze', '--format', 'jsonl', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
    .split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
  assert.ok(alerts.length > 5);
  const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  const requests = [];
  context.on('request', (r) => requests.push(r.url()));
  await page.goto('file://' + report);
  const shownAlerts = await page.$$eval('section.alert', (s) => s.map((x) => x.dataset.rule));
  assert.deepEqual(shownAlerts.sort(), alerts.map((a) => a.rule).sort(), 'every alert, once');
  for (const id of ['severity-tiles', 'alerts-by-vault', 'alerts-by-rule', 'alerts-chart', 'coverage', 'object-ops-chart',
    'top-all-vault', 'top-all-ip', 'top-all-identity', 'top-all-operation', 'top-failed-vault', 'top-failed-operation',
    'callers', 'failures', 'sensitive', 'mass-retrieval', 'requests-chart', 'failures-chart', 'latency-chart', 'files-table']) {
    assert.ok(await page.isVisible('#' + id), `panel ${id} visible`);
  }
  assert.ok((await page.$$('#alerts-chart svg rect')).length > 0, 'alerts drawn');
  assert.ok((await page.$$('#requests-chart svg rect')).length > 0, 'requests drawn');
  assert.equal(await page.$$eval('script', (s) => s.length), 0);
  assert.deepEqual(requests.filter((u) => !u.startsWith('file://')), [], 'no request');
  await page.screenshot({ path: path.join(OUT, 'report.png'), fullPage: true });
  await context.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a query that kills the worker: it is restarted on the same drop, the error is shown, no stale result stays, the next query works', async () => {
  const p = await open();
  const recs = scenario();
  const [f] = writeFixtures({ 'scenario.jsonl': jsonl(recs) });
  await p.page.setInputFiles('#file-input', [f]);
  await waitDone(p.page);
  await p.page.click('a[data-tab="hunt"]');
  const count = async () => {
    await p.page.fill('#kql-query', 'AzureDiagnostics | count');
    await runQuery(p.page);
    return p.page.$eval('#kql-table tr:nth-child(2) td', (td) => td.textContent);
  };
  assert.equal(await count(), String(recs.length));
  // 1. The worker traps in the middle of a query, as wasm does on "memory access out of bounds".
  const worker = p.page.workers().at(-1);
  await worker.evaluate(() => {
    const h = self.onmessage;
    self.onmessage = function () { self.onmessage = h; throw new WebAssembly.RuntimeError('memory access out of bounds'); };
  });
  await p.page.fill('#kql-query', 'AzureDiagnostics | summarize count() by OperationName');
  await p.page.click('#kql-run');
  await p.page.waitForFunction(() => /memory access out of bounds/.test(document.querySelector('#error')?.textContent || ''));
  assert.match(await p.page.textContent('#error'), /restarted/);
  assert.equal(await p.page.$('#kql-result'), null, 'the earlier result is not left on screen');
  assert.equal(await p.page.$('#kql-table'), null);
  await shot(p.page, 'worker-restarted');
  // The new worker reads the same drop; then queries run on it again.
  await p.page.waitForSelector('#status[data-done="1"]', { timeout: 120000 });
  assert.equal(await count(), String(recs.length));
  // 2. A hostile query (10,000 chained terms): either the engine refuses it with an error, or the
  // worker dies and is restarted; either way the next query runs.
  await p.page.fill('#kql-query', 'print x=' + Array(10000).fill('1').join('+'));
  await p.page.click('#kql-run');
  await p.page.waitForFunction(() => document.querySelector('#kql-error, #kql-result')
    || /restarted/.test(document.querySelector('#error')?.textContent || ''));
  const died = /restarted/.test((await p.page.textContent('#error').catch(() => '')) || '');
  console.log(`10,000-term query: ${died ? 'the worker died and was restarted' : 'answered in the tab'}`);
  await p.page.waitForSelector('#status[data-done="1"]', { timeout: 120000 });
  assert.equal(await count(), String(recs.length));
  assert.equal(await p.page.$$eval('#kql-table tr', (r) => r.length), 2);
  await p.context.close();
});

test('render timechart, columnchart, barchart and piechart draw the result in the Query tab', async () => {
  const p = await open();
  const [f] = writeFixtures({ 'scenario.jsonl': jsonl(scenario()) });
  await p.page.setInputFiles('#file-input', [f]);
  await waitDone(p.page);
  await p.page.click('a[data-tab="hunt"]');
  const run = async (q) => { await p.page.fill('#kql-query', q); await runQuery(p.page); };
  await run('AzureDiagnostics | summarize n = count() by bin(TimeGenerated, 1m), OperationName | render timechart');
  await p.page.waitForSelector('#kql-chart[data-kind="timechart"] polyline', { state: 'attached' });
  const series = await p.page.$$eval('#kql-chart .legend .key', (k) => k.map((x) => x.textContent));
  const ops = await p.page.$$eval('#kql-table tr td:nth-child(2)', (tds) => [...new Set(tds.map((t) => t.textContent))]);
  assert.deepEqual([...series].sort(), [...ops].sort(), 'one line per operation');
  await shot(p.page, 'kql-timechart');
  await run('AzureDiagnostics | summarize n = count() by OperationName | render columnchart');
  const rows = await p.page.$eval('#kql-count', (e) => Number(e.dataset.rows));
  assert.equal((await p.page.$$('#kql-chart[data-kind="columnchart"] rect.bar')).length, rows);
  await run('AzureDiagnostics | summarize n = count() by OperationName | render barchart');
  assert.equal((await p.page.$$('#kql-chart[data-kind="barchart"] .hbar')).length, rows);
  await run('AzureDiagnostics | summarize n = count() by OperationName | render piechart');
  assert.equal((await p.page.$$('#kql-chart[data-kind="piechart"] path.slice')).length, rows);
  await shot(p.page, 'kql-piechart');
  await run('AzureDiagnostics | summarize n = count() by OperationName | render table');
  assert.equal(await p.page.$('#kql-chart'), null);
  await p.context.close();
});

test('daily use: UTC / local times with full precision on hover, Ctrl+Enter runs a query, the 401 challenge is muted, hidden characters are shown', async () => {
  const p = await open({ timezoneId: 'Asia/Kolkata' });
  const recs = scenario();
  const challenge = { ...recs[0], time: '2026-10-18T03:00:00.5000000Z', operationName: 'Authentication', identity: { claim: {} },
    properties: { ...recs[0].properties, httpStatusCode: 401, id: undefined } };
  const bidi = { ...recs[4], time: '2026-10-18T03:13:00.0000000Z', resourceId: recs[4].resourceId.replace(/KV-E2E-PAYMENTS$/, 'KV-EVIL\u202EEXE.TXT') };
  const [f] = writeFixtures({ 'daily.jsonl': jsonl([...recs, challenge, bidi]) });
  await p.page.setInputFiles('#file-input', [f]);
  await waitDone(p.page);
  const first = () => p.page.$eval('#status time', (t) => ({ text: t.textContent, title: t.title, dt: t.getAttribute('datetime') }));
  const utc = await first();
  assert.equal(utc.text, '2026-10-18 03:00:00');
  assert.equal(utc.dt, '2026-10-18T03:00:00.000000Z');
  assert.match(utc.title, /2026-10-18T03:00:00\.000000Z · 2026-10-18T08:30:00\.000000\+05:30/);
  await p.page.click('#zone-local');
  await p.page.waitForFunction(() => document.querySelector('#status time')?.textContent === '2026-10-18 08:30:00');
  assert.equal(await p.page.evaluate(() => localStorage.getItem('keyhole.zone.v1')), '"Local"');
  await p.page.click('#zone-utc');
  // The explorer: the challenge is muted, not red; the bidi override in the vault name is shown.
  await p.page.click('a[data-tab="events"]');
  await p.page.waitForSelector('#events-table tr.ev');
  assert.equal((await p.page.$$('#events-table tr.ev.o-challenge')).length, 1);
  assert.equal((await p.page.$$('#events-table tr.ev.o-denied')).length, 0);
  const text = await p.page.textContent('#events-table');
  assert.ok(text.includes('kv-evil⟨U+202E⟩exe.txt'), text);
  assert.ok(!text.includes('\u202E'));
  // Ctrl+Enter runs the query being typed.
  await p.page.click('a[data-tab="hunt"]');
  await p.page.fill('#kql-query', 'AzureDiagnostics | count');
  await p.page.focus('#kql-query');
  await p.page.keyboard.press('Control+Enter');
  await p.page.waitForSelector('#kql-result');
  assert.equal(await p.page.$eval('#kql-table tr:nth-child(2) td', (td) => td.textContent), String(recs.length + 2));
  // The editor colours the text in place (the highlighted copy lies under the textarea).
  const [ta, pre] = await Promise.all([p.page.$eval('#kql-query', (e) => e.getBoundingClientRect().toJSON()),
    p.page.$eval('.kql-hl', (e) => e.getBoundingClientRect().toJSON())]);
  assert.deepEqual([ta.x, ta.y, ta.width], [pre.x, pre.y, pre.width]);
  await shot(p.page, 'daily-use');
  await p.context.close();
});
