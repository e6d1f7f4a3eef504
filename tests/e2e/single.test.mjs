// The offline single file (dist-single/keyhole.html) opened from file:// analyses a dropped file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { launch, instrumentedPage, waitDone, writeFixtures, shot, SINGLE } from './lib.mjs';
import { scenario, jsonl, SCENARIO_RULES } from './fixtures.mjs';

test('single file from file:// analyses a dropped file without any request', async (t) => {
  if (!fs.existsSync(SINGLE)) { t.skip('dist-single/keyhole.html not built'); return; }
  const { browser } = await launch();
  try {
    const p = await instrumentedPage(browser);
    await p.page.goto('file://' + SINGLE);
    await p.page.waitForSelector('#dropzone');
    const csp = await p.page.$eval('meta[http-equiv="Content-Security-Policy"]', (m) => m.content);
    assert.match(csp, /connect-src 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    const [f] = writeFixtures({ 'scenario.jsonl': jsonl(scenario()) });
    await p.page.setInputFiles('#file-input', [f]);
    const st = await waitDone(p.page);
    assert.equal(st.records, scenario().length, st.text);
    const rules = await p.page.$$eval('#alert-list [data-rule]', (els) => els.map((e) => e.dataset.rule));
    for (const r of SCENARIO_RULES) assert.ok(rules.includes(r), `${r} missing`);
    const other = p.requests.filter((r) => !r.url.startsWith('file://') && !r.url.startsWith('blob:') && !r.url.startsWith('data:'));
    assert.deepEqual(other, []);
    assert.deepEqual(await p.page.evaluate(() => window.__csp), []);
    await shot(p.page, 'single-file');
  } finally { await browser.close(); }
});
