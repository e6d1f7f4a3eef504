// The Query tab as a Sentinel user drives it: completion from the engine's schema (typed, picked
// with the keyboard and the mouse, the query runs), a scheduled rule exported by `keyhole rules
// --format kql` replayed as `keyhole query --replay` replays it, a workbook query whose
// parameters follow the page's filters as `keyhole query --param` binds them; and on a short
// drop the Alerts tab says each finding's basis and confidence and how each rule judged.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { serve, launch, instrumentedPage, waitDone, shot, cliBin, runQuery, ROOT, OUT } from './lib.mjs';

let srv; let browser; let dir;
before(async () => {
  srv = await serve();
  ({ browser } = await launch());
  dir = fs.mkdtempSync(path.join(OUT, 'query-'));
});
after(async () => {
  await browser?.close();
  await srv?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const GEN = path.join(ROOT, 'target/release/keyhole-gen');

/** A generated drop (raw JSON lines) with every attack, or null when the binaries are missing. */
function generated(t, name, extra = []) {
  const bin = cliBin();
  if (!fs.existsSync(GEN) || !bin) { t.skip('target/release/keyhole-gen or keyhole not built'); return null; }
  const file = path.join(dir, name);
  execFileSync(GEN, ['--seed', '4242', '--days', '10', '--scale', '0.04', '--attacks', ...extra, '--out', file], { stdio: 'ignore' });
  return { bin, file };
}

/** `keyhole ARGS…` in the drop's folder: stdout, and stderr for its summary line. */
function cli(bin, args) {
  const r = spawnSync(bin, args, { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`keyhole ${args.join(' ')}: ${r.stderr}`);
  return { out: r.stdout, err: r.stderr };
}

async function openWith(file) {
  const p = await instrumentedPage(browser);
  await p.page.goto(srv.origin + '/');
  await p.page.waitForSelector('#dropzone');
  await p.page.setInputFiles('#file-input', [file]);
  await waitDone(p.page);
  return p;
}

async function download(page, selector) {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
  return fs.readFileSync(await dl.path(), 'utf8');
}

const value = (page) => page.$eval('#kql-query', (t) => t.value);
const labels = (page) => page.$$eval('#kql-complete [role="option"]', (o) => o.map((x) => x.dataset.label));
const listOpen = async (page) => (await page.$('#kql-complete')) !== null;

/** The run's error text, at once (no waiting for an element that is not there). */
const whyNoResult = (page) => page.$eval('#kql-error', (e) => e.textContent).catch(() => 'no result and no error');

/** Replace the editor's text as a script would (no completion list opens). */
async function setQuery(page, text) {
  await page.fill('#kql-query', text);
  // A textarea holds line ends as \n (a pasted CRLF file too).
  await page.waitForFunction((t) => document.querySelector('#kql-query').value === t, text.replace(/\r\n?/g, '\n'));
}

test('completion: typed, picked with the keyboard and the mouse, the query runs as the CLI runs it', async (t) => {
  const g = generated(t, 'complete.jsonl');
  if (!g) return;
  const p = await openWith(g.file);
  const page = p.page;
  await page.click('a[data-tab="hunt"]');
  await setQuery(page, '');
  await page.focus('#kql-query');
  // Operators after a pipe; the textarea says which option is active.
  await page.keyboard.type('AzureDiagnostics | s');
  await page.waitForSelector('#kql-complete[role="listbox"]');
  const ops = await labels(page);
  assert.ok(ops.length > 3 && ops.includes('summarize') && ops.includes('sort'), ops.join(' '));
  // The textarea says which option is active (the list re-renders after the key).
  const active = (id) => page.waitForFunction((want) => {
    const t = document.querySelector('#kql-query');
    return t.getAttribute('aria-expanded') === 'true' && t.getAttribute('aria-activedescendant') === want
      && document.getElementById(want)?.getAttribute('aria-selected') === 'true';
  }, id, { timeout: 5000 });
  await active('kql-opt-0');
  await page.keyboard.press('ArrowDown');
  await active('kql-opt-1');
  await page.keyboard.press('ArrowUp');
  await active('kql-opt-0');
  await page.keyboard.press('ArrowUp');
  await active(`kql-opt-${ops.length - 1}`);
  // Typing narrows the list.
  await page.keyboard.type('u');
  await page.waitForFunction(() => document.querySelectorAll('#kql-complete [role="option"]').length === 1);
  assert.deepEqual(await labels(page), ['summarize']);
  await page.keyboard.press('Enter');
  assert.equal(await value(page), 'AzureDiagnostics | summarize ');
  assert.equal(await listOpen(page), false);
  // Aggregations with their signature; Tab accepts with the caret between the parentheses.
  await page.keyboard.type('dcou');
  await page.waitForSelector('#kql-complete [data-label="dcount"]');
  assert.match(await page.$eval('#kql-opt-0 .c-detail', (d) => d.textContent), /^dcount\(.*aggregation/);
  await page.keyboard.press('Tab');
  assert.equal(await value(page), 'AzureDiagnostics | summarize dcount()');
  await page.keyboard.type('CallerIPAdd');
  await page.waitForSelector('#kql-complete [data-label="CallerIPAddress"]');
  await page.keyboard.press('Enter');
  await page.keyboard.press('End');
  // Escape closes; Ctrl+Space opens it again; a click picks.
  await page.keyboard.type(' by Operat');
  await page.waitForSelector('#kql-complete');
  assert.equal((await labels(page))[0], 'OperationName');
  await page.keyboard.press('Escape');
  assert.equal(await listOpen(page), false);
  await page.keyboard.press('Control+Space');
  await page.waitForSelector('#kql-complete [data-label="OperationName"]');
  await page.click('#kql-complete [data-label="OperationName"]');
  const q = 'AzureDiagnostics | summarize dcount(CallerIPAddress) by OperationName';
  assert.equal(await value(page), q);
  assert.equal(await listOpen(page), false);
  // Nothing is offered inside a string.
  await page.keyboard.type(' | where OperationName != "Sec');
  await page.waitForTimeout(150);
  assert.equal(await listOpen(page), false);
  assert.deepEqual(await page.evaluate(() => window.__csp), [], 'no Content-Security-Policy violation');
  await page.keyboard.type('retList"\n| sort by OperationName asc');
  await page.keyboard.press('Escape');
  await shot(page, 'query-completion');
  await runQuery(page);
  const full = await value(page);
  assert.ok(full.startsWith(q) && full.endsWith('| sort by OperationName asc'), full);
  assert.ok(await page.$('#kql-result'), await whyNoResult(page));
  const fromPage = await download(page, '#kql-export');
  const fromCli = cli(g.bin, ['query', '--format', 'csv', full, path.basename(g.file)]).out;
  assert.ok(fromCli.split('\n').length > 5, fromCli);
  assert.equal(fromPage, fromCli);
  assert.deepEqual(p.consoleErrors, []);
  console.log(`completion: "${full.replace(/\n/g, ' ')}" → ${fromCli.trim().split('\n').length - 1} rows, as the CLI`);
  await p.context.close();
});

test('replay: a Sentinel rule from keyhole rules --format kql gives the rows of keyhole query --replay', async (t) => {
  const g = generated(t, 'replay.jsonl');
  if (!g) return;
  const rulesDir = path.join(dir, 'rules');
  cli(g.bin, ['rules', '--format', 'kql', '-o', rulesDir]);
  const every = '1h'; const period = '1d';
  // The first exported rule that replays to rows on this drop (several need watchlists or a
  // baseline longer than the drop).
  let picked = null;
  for (const f of fs.readdirSync(rulesDir).filter((x) => x.endsWith('.kql')).sort()) {
    const text = fs.readFileSync(path.join(rulesDir, f), 'utf8');
    const r = spawnSync(g.bin, ['query', '--format', 'csv', '--file', path.join(rulesDir, f), '--replay', every, '--period', period,
      path.basename(g.file)], { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 30 });
    const rows = r.status === 0 ? r.stdout.trim().split('\n').length - 1 : 0;
    if (rows > (picked?.rows ?? 0)) picked = { f, text, csv: r.stdout, err: r.stderr, rows };
  }
  assert.ok(picked, 'no exported rule replays to rows on the generated drop');
  const ticks = Number(/at (\d+) tick/.exec(picked.err)?.[1]);
  assert.ok(ticks > 100, picked.err);
  const p = await openWith(g.file);
  const page = p.page;
  await page.click('a[data-tab="hunt"]');
  await setQuery(page, picked.text);
  await page.check('#kql-replay');
  await page.fill('#kql-replay-every', every);
  await page.press('#kql-replay-every', 'Tab');
  await page.fill('#kql-replay-period', period);
  await page.press('#kql-replay-period', 'Tab');
  await runQuery(page);
  assert.ok(await page.$('#kql-result'), await whyNoResult(page));
  const header = await page.$$eval('#kql-table tr:first-child th', (th) => th.map((x) => x.textContent.replace(/ [▲▼]$/, '')));
  assert.equal(header[0], 'ReplayTime');
  const replayed = await page.textContent('#kql-replayed');
  assert.match(replayed, new RegExp(`every ${every} over the last ${period}: ${ticks.toLocaleString('en-US')} ticks`));
  assert.equal(await download(page, '#kql-export'), picked.csv, `${picked.f}: the page's replay differs from the CLI's`);
  await shot(page, 'query-replay');
  // A long replay reports its ticks as it goes; Stop ends it and the drop is read again.
  await page.fill('#kql-replay-every', '1m');
  await page.press('#kql-replay-every', 'Tab');
  await page.click('#kql-run');
  // 10 days of minutes: about 14,400 ticks.
  await page.waitForFunction(() => /Replaying: tick [\d,]+ of 14,[34]\d\d/.test(document.querySelector('#kql-running')?.textContent ?? ''),
    null, { timeout: 60000 }).catch(async (e) => { throw new Error(`${e.message}: ${await page.textContent('#tab-hunt')}`); });
  const at = await page.textContent('#kql-running');
  await page.click('#kql-stop');
  await page.waitForFunction(() => (document.querySelector('#error')?.textContent ?? '').includes('you stopped the replay'));
  await page.waitForSelector('#status[data-done="1"]', { timeout: 120000 });
  console.log(`replay every 1m: stopped at "${at.trim()}", the drop read again`);
  await page.click('a[data-tab="hunt"]');
  assert.equal(await page.isChecked('#kql-replay'), false);
  // Without the switch the same text runs once.
  await runQuery(page);
  assert.ok(await page.$('#kql-result'), await whyNoResult(page));
  assert.equal(await page.$('#kql-replayed'), null);
  console.log(`replay: ${picked.f} every ${every} over ${period}: ${ticks} ticks, ${picked.csv.trim().split('\n').length - 1} rows, as the CLI`);
  await p.context.close();
});

test('workbook parameters follow the page filters and give the rows of keyhole query --param', async (t) => {
  const g = generated(t, 'params.jsonl');
  if (!g) return;
  const file = path.basename(g.file);
  const q = 'AzureDiagnostics\n| where ResourceId in~ ({KeyVault}) and TimeGenerated {TimeRange}\n'
    + '| where TimeGenerated >= {TimeRange:start}\n| summarize n = count() by Resource, OperationName, bin(TimeGenerated, {TimeRange:grain})\n'
    + '| sort by Resource asc, OperationName asc, TimeGenerated asc';
  // The busiest vault, its resource id and a window inside the drop, read independently.
  const top = cli(g.bin, ['query', '--format', 'csv', 'AzureDiagnostics | summarize n = count() by Resource, id = tolower(ResourceId) | top 1 by n',
    file]).out.trim().split('\n')[1].split(',');
  const [vault, id] = [top[0].toLowerCase(), top[1]];
  const from = '2026-10-04T06:00'; const to = '2026-10-06T18:30';
  const p = await instrumentedPage(browser);
  await p.page.goto(`${srv.origin}/#hunt?vault=${encodeURIComponent(vault)}&from=${from}&to=${to}&tz=0`);
  await p.page.waitForSelector('#dropzone');
  await p.page.setInputFiles('#file-input', [g.file]);
  await waitDone(p.page);
  const page = p.page;
  await page.click('a[data-tab="hunt"]');
  await setQuery(page, q);
  await runQuery(page);
  assert.ok(await page.$('#kql-result'), await whyNoResult(page));
  const bound = await page.$$eval('#kql-params tr[data-param]', (rows) => Object.fromEntries(rows.map((r) => [r.dataset.param,
    [r.querySelector('.value').textContent, r.lastElementChild.textContent]])));
  assert.deepEqual(bound.KeyVault, [`'${id}'`, "the Events tab's vault filter"]);
  assert.match(bound.TimeRange[1], /Events tab's time filter/);
  // the bound range is the query's time context: every table is narrowed to it, and the page says so
  assert.match(await page.textContent('#kql-time-context'), /time context TimeRange .* the tables hold [\d,]+ of the drop's [\d,]+ events/);
  // The Events filter's end is inclusive to the last microsecond of its minute.
  const fromPage = await download(page, '#kql-export');
  const fromCli = cli(g.bin, ['query', '--format', 'csv', '--param', `KeyVault='${id}'`,
    '--param', `TimeRange=${from}:00Z..${to}:59.999999Z`, q, file]).out;
  assert.ok(fromCli.split('\n').length > 3, fromCli);
  assert.equal(fromPage, fromCli);
  // The unfiltered defaults (every vault, the whole drop) give other rows: the filter mattered.
  const everything = cli(g.bin, ['query', '--format', 'csv', q, file]).out;
  assert.notEqual(everything, fromCli);
  // A typed NAME=VALUE wins over the filter.
  await page.click('.param-input summary');
  await page.fill('#kql-param-values', 'TimeRange=2026-10-01T00:00:00Z..2026-10-11T00:00:00Z');
  await page.press('#kql-param-values', 'Tab');
  await runQuery(page);
  assert.match(await page.textContent('#kql-params tr[data-param="TimeRange"]'), /set in the Query tab/);
  const typed = cli(g.bin, ['query', '--format', 'csv', '--param', `KeyVault='${id}'`,
    '--param', 'TimeRange=2026-10-01T00:00:00Z..2026-10-11T00:00:00Z', q, file]).out;
  assert.equal(await download(page, '#kql-export'), typed);
  await shot(page, 'query-params');
  console.log(`params: ${vault} ${from}..${to}: ${fromCli.trim().split('\n').length - 1} rows, as keyhole query --param`);
  await p.context.close();
});

/** The page's CSV export and the CLI's, line by line: identical to the last bit (the KQL crate
 * takes log/exp/pow/trig from the `libm` crate on every target, not the platform's libm). */
function sameRows(fromPage, fromCli, what) {
  const a = fromPage.split(/\r?\n/); const b = fromCli.split(/\r?\n/);
  assert.equal(a.length, b.length, `${what}: ${a.length} lines on the page, ${b.length} from the CLI`);
  for (let i = 0; i < a.length; i++) {
    assert.equal(a[i], b[i], `${what}: line ${i + 1} differs:\n  page ${a[i]}\n  CLI  ${b[i]}`);
  }
}

// The Sentinel Key Vault workbook's queries, copied verbatim into the shared spec (absent: skip).
const KQL_REAL = [path.resolve(ROOT, '..', 'shared', 'spec', 'kql-real'), path.resolve(ROOT, '..', '..', 'shared', 'spec', 'kql-real')]
  .find((d) => fs.existsSync(d));

test('the Sentinel workbook queries run with the page filters as keyhole query --param runs them', async (t) => {
  if (!KQL_REAL) { t.skip('skipped: ../shared/spec/kql-real not present'); return; }
  const g = generated(t, 'workbook.jsonl');
  if (!g) return;
  const file = path.basename(g.file);
  const queries = fs.readdirSync(KQL_REAL).filter((f) => /^\d+-wb-.*\.kql$/.test(f)).sort();
  assert.ok(queries.length >= 20, queries.join(' '));
  const top = cli(g.bin, ['query', '--format', 'csv', 'AzureDiagnostics | summarize n = count() by Resource, id = tolower(ResourceId) | top 1 by n',
    file]).out.trim().split('\n')[1].split(',');
  const [vault, id] = [top[0].toLowerCase(), top[1]];
  const from = '2026-10-03T00:00'; const to = '2026-10-08T23:59';
  // What the filters mean, as --param values.
  const params = [`KeyVault='${id}'`, `KeyVaultOperationAnalysis='${id}'`, `SelectedResource=${id}`,
    `TimeRange=${from}:00Z..${to}:59.999999Z`].flatMap((x) => ['--param', x]);
  const p = await instrumentedPage(browser);
  await p.page.goto(`${srv.origin}/#hunt?vault=${encodeURIComponent(vault)}&from=${from}&to=${to}&tz=0`);
  await p.page.waitForSelector('#dropzone');
  await p.page.setInputFiles('#file-input', [g.file]);
  await waitDone(p.page);
  const page = p.page;
  await page.click('a[data-tab="hunt"]');
  let same = 0; let rows = 0;
  for (const f of queries) {
    const text = fs.readFileSync(path.join(KQL_REAL, f), 'utf8');
    const r = spawnSync(g.bin, ['query', '--format', 'csv', ...params, '--file', path.join(KQL_REAL, f), file],
      { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 30 });
    const t0 = Date.now();
    await setQuery(page, text);
    await runQuery(page);
    if (process.env.KEYHOLE_E2E_TIMES) console.log(`${f}: ran in ${Date.now() - t0} ms`);
    if (r.status !== 0) {
      assert.ok(await page.$('#kql-error'), `${f}: the CLI fails (${r.stderr.trim()}) but the page does not`);
      console.log(`${f}: fails on both: ${r.stderr.trim().split('\n')[0]}`);
      continue;
    }
    assert.ok(await page.$('#kql-result'), `${f}: ${await whyNoResult(page)}`);
    const bound = await page.$$eval('#kql-params tr[data-param]', (tr) => tr.map((x) => x.dataset.param));
    assert.ok(bound.length > 0, `${f}: no bound parameter shown`);
    sameRows(await download(page, '#kql-export'), r.stdout, f);
    same += 1;
    rows += r.stdout.trim().split('\n').length - 1;
  }
  assert.ok(same >= queries.length - 2, `only ${same} of ${queries.length} workbook queries ran`);
  console.log(`workbook queries with ${vault} ${from}..${to}: ${same} of ${queries.length} give the CLI's rows (${rows} rows in all, `
    + 'every cell identical)');
  await p.context.close();
});

test('a short drop: each alert says its basis and confidence, each rule how it judged, as keyhole analyze', async (t) => {
  const g = generated(t, 'last3.jsonl', ['--days', '21', '--last-days', '3']);
  if (!g) return;
  const { out, err } = cli(g.bin, ['analyze', '--format', 'json', path.basename(g.file)]);
  const findings = JSON.parse(out);
  const list = Array.isArray(findings) ? findings : findings.findings;
  const withBasis = list.filter((f) => f.basis && f.confidence);
  assert.ok(withBasis.length > 0, 'no finding with a basis on the short drop');
  const p = await openWith(g.file);
  const page = p.page;
  const items = await page.$$('#alert-list li.alert');
  assert.equal(items.length, list.length);
  // Every alert: the detail says the basis and confidence the core gave a finding of that rule.
  for (let i = 0; i < items.length; i++) {
    await items[i].click();
    const rule = await items[i].getAttribute('data-rule');
    await page.waitForSelector(`#alert-detail[data-rule="${rule}"]`);
    const text = await page.$eval('#alert-basis', (e) => e.textContent).catch(() => '');
    const same = list.filter((f) => f.rule === rule)
      .some((f) => text.includes(`Basis: ${f.basis}`) && text.includes(`Confidence: ${f.confidence}`));
    assert.ok(same, `${rule}: the page says "${text}"`);
  }
  // The rules the CLI says were limited on this drop, with the same words.
  const limited = err.split('\n').map((l) => /^keyhole: ([A-Za-z0-9_.-]+): (.+)$/.exec(l)).filter(Boolean)
    .filter((m) => !m[0].includes('judged as designed'));
  let matched = 0;
  for (const [, rule, words] of limited) {
    const li = await page.$(`#rule-status li[data-rule="${rule}"]`);
    if (!li) continue;
    const text = await li.textContent();
    const said = words.replace(/^did not run: /, '');
    assert.ok(text.includes(said), `${rule}: page says "${text}", CLI "${words}"`);
    assert.equal(text.split(said).length - 1, 1, `${rule}: the page says it more than once: "${text}"`);
    assert.notEqual(await li.getAttribute('data-state'), 'as designed', rule);
    matched += 1;
  }
  assert.ok(matched > 0, `no judging line of the CLI found on the page:\n${err}`);
  assert.equal(await page.$eval('#rule-status', (d) => d.open), true);
  await shot(page, 'alerts-short-drop');
  console.log(`short drop (last 3 of 21 days): ${list.length} alerts with basis and confidence, ${matched} rules' judging as the CLI`);
  await p.context.close();
});
