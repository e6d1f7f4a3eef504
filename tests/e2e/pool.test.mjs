// The pool of parse workers (issue 10, phase 3): a file large enough to be cut into several
// units, parsed by several workers and merged in order, gives exactly what `keyhole` gives (the
// workbook JSON — every panel over every event — and every alert export), with one parse worker
// and with more workers than cores too (localStorage keyhole.parseWorkers); Cancel stops every
// worker and the page stays usable; a drop that will not fit is not read, the page says so with
// the core's numbers and reads the newest part that fits on request (the memory ceiling is
// lowered for the test with localStorage keyhole.memoryLimit, so nothing allocates 4 GB).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { serve, launch, instrumentedPage, waitDone, cliBin, ROOT, OUT } from './lib.mjs';

let srv; let browser;
before(async () => { srv = await serve(); ({ browser } = await launch()); });
after(async () => { await browser?.close(); await srv?.close(); });

const GEN = path.join(ROOT, 'target/release/keyhole-gen');

async function open(init, arg) {
  const p = await instrumentedPage(browser);
  if (init) await p.context.addInitScript(init, arg);
  await p.page.goto(srv.origin + '/');
  await p.page.waitForSelector('#dropzone');
  // the most parse workers the progress line ever showed
  await p.page.evaluate(() => {
    window.__maxWorkers = 0;
    new MutationObserver(() => {
      const n = Number(document.querySelector('#progress')?.dataset.workers || 0);
      window.__maxWorkers = Math.max(window.__maxWorkers, n);
    }).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
  });
  return p;
}

/** CPU seconds per second used by every process under this node process, over one second. */
async function cpuRate() {
  const ticks = () => {
    const kids = new Map();
    for (const d of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      try {
        const st = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
        const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
        const ppid = Number(f[1]);
        if (!kids.has(ppid)) kids.set(ppid, []);
        kids.get(ppid).push({ pid: Number(d), cpu: Number(f[11]) + Number(f[12]) });
      } catch { /* gone */ }
    }
    let total = 0; const stack = [...(kids.get(process.pid) || [])];
    while (stack.length) { const k = stack.pop(); total += k.cpu; stack.push(...(kids.get(k.pid) || [])); }
    return total;
  };
  const a = ticks(); const t = Date.now();
  await new Promise((r) => setTimeout(r, 1000));
  return (ticks() - a) / 100 / ((Date.now() - t) / 1000);
}

async function download(page, selector) {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
  return fs.readFileSync(await dl.path(), 'utf8');
}

/** `keyhole ARGS NAME` run in `dir`: its standard output. */
function keyhole(dir, name, args) {
  return execFileSync(cliBin(), [...args, name], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 30 });
}

function gen(t, dir, shape, mb, seed = '4242') {
  if (!fs.existsSync(GEN) || !cliBin()) { t.skip('target/release/keyhole-gen or keyhole not built'); return null; }
  const file = path.join(dir, `${shape}-${mb}MB${shape.startsWith('portal') ? '.csv' : '.json'}`);
  execFileSync(GEN, ['--seed', seed, '--attacks', '--shape', shape, '--size', `${mb}MB`, '--out', file], { stdio: 'ignore' });
  return file;
}

test('a file cut into units across several parse workers: the page equals keyhole (workbook, alerts)', { timeout: 900_000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(OUT, 'pool-'));
  const p = await open();
  try {
    for (const shape of ['raw-jsonl', 'raw-records', 'portal-csv']) {
      const file = gen(t, dir, shape, 40);
      if (!file) return;
      const name = path.basename(file);
      await p.page.evaluate(() => { window.__maxWorkers = 0; });
      await p.page.setInputFiles('#file-input', [file]);
      const done = await waitDone(p.page, 600_000);
      const workers = await p.page.evaluate(() => window.__maxWorkers);
      const cli = (args) => keyhole(dir, name, args);
      const events = cli(['events']).split('\n').filter(Boolean).length;
      assert.equal(done.records, events, `${shape}: page vs keyhole events`);
      for (const [sel, args] of [['#export-workbook', ['workbook', '--format', 'json']], ['#export-jsonl', ['analyze', '--format', 'jsonl']]]) {
        assert.equal(await download(p.page, sel), cli(args), `${shape}: ${sel} differs from keyhole ${args.join(' ')}`);
      }
      console.log(`${shape}: ${fs.statSync(file).size} bytes, ${done.records} records, ${done.alerts} alerts, up to ${workers} parse workers: identical`);
      const cores = await p.page.evaluate(() => navigator.hardwareConcurrency);
      assert.ok(workers >= Math.min(2, cores), `${workers} parse workers shown on ${cores} cores`);
      fs.rmSync(file);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    await p.context.close();
  }
});

test('the page equals keyhole whatever the parse workers\' count (localStorage keyhole.parseWorkers 1 and 3)', { timeout: 600_000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(OUT, 'pool-n-'));
  try {
    const file = gen(t, dir, 'raw-jsonl', 40, '7');
    if (!file) return;
    const name = path.basename(file);
    const cli = (args) => keyhole(dir, name, args);
    const want = cli(['analyze', '--format', 'jsonl']);
    for (const n of [1, 3]) {
      const p = await open((v) => localStorage.setItem('keyhole.parseWorkers', v), String(n));
      try {
        await p.page.setInputFiles('#file-input', [file]);
        await waitDone(p.page, 600_000);
        const workers = await p.page.evaluate(() => window.__maxWorkers);
        assert.equal(workers, n, `the progress line showed ${workers} parse workers, ${n} set`);
        assert.equal(await download(p.page, '#export-jsonl'), want, `${n} parse workers: alerts differ from keyhole analyze`);
        console.log(`${n} parse workers: alerts identical to keyhole analyze`);
      } finally {
        await p.context.close();
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('Cancel stops every parse worker and the page stays usable', { timeout: 300_000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(OUT, 'pool-'));
  const p = await open();
  try {
    const big = gen(t, dir, 'raw-jsonl', 300);
    if (!big) return;
    await p.page.setInputFiles('#file-input', [big]);
    await p.page.waitForFunction(() => /parse worker/.test(document.querySelector('#progress')?.textContent || ''));
    // Nested workers are not listed by Playwright: the browser's CPU time shows whether they run.
    const during = await cpuRate();
    await p.page.click('#cancel');
    await p.page.waitForSelector('#error');
    assert.match(await p.page.textContent('#error'), /Cancelled/);
    await p.page.waitForTimeout(300);
    const afterCancel = await cpuRate();
    console.log(`browser CPU: ${during.toFixed(2)} s/s while reading, ${afterCancel.toFixed(2)} s/s after Cancel`);
    assert.ok(during > 0.8 && afterCancel < 0.4, `${during} → ${afterCancel}`);
    assert.equal(await p.page.$('#status[data-done="1"]'), null);
    const small = gen(t, dir, 'raw-jsonl', 2);
    const st = await waitDone(await (async () => { await p.page.setInputFiles('#file-input', [small]); return p.page; })());
    assert.ok(st.records > 100, st.text);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    await p.context.close();
  }
});

test('a drop that will not fit is not read: the numbers, then the newest part that fits', { timeout: 300_000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(OUT, 'pool-'));
  // 240 MiB ceiling (180 MiB usable): two 48 MB files need more (~96k events at the core's
  // 300 bytes an event + 160 MiB fixed ≈ 188 MiB); the newest ~63 MB fits
  const p = await open(() => localStorage.setItem('keyhole.memoryLimit', String(240 * 1024 * 1024)));
  try {
    const all = gen(t, dir, 'raw-jsonl', 96);
    if (!all) return;
    // an older and a newer half (the generator writes in time order)
    const text = fs.readFileSync(all);
    let mid = text.indexOf(10, text.length >> 1) + 1;
    const older = path.join(dir, 'older.jsonl'); const newer = path.join(dir, 'newer.jsonl');
    fs.writeFileSync(older, text.subarray(0, mid)); fs.writeFileSync(newer, text.subarray(mid));
    fs.rmSync(all);
    await p.page.setInputFiles('#file-input', [older, newer]);
    await p.page.waitForSelector('#too-big');
    const notice = await p.page.textContent('#too-big');
    const needed = Number(await p.page.getAttribute('#too-big', 'data-needed'));
    const limit = Number(await p.page.getAttribute('#too-big', 'data-limit'));
    console.log(notice);
    assert.ok(needed > limit, `${needed} ≤ ${limit}`);
    assert.match(notice, /will not fit/);
    // one sentence after another, single-spaced (the source's line breaks are not in the text)
    assert.doesNotMatch(await p.page.textContent('#too-big p'), /\s{2}/);
    assert.match(notice, /newer\.jsonl \(all/);
    assert.match(notice, /older\.jsonl: its last/);
    assert.equal(await p.page.$('#status[data-done="1"]'), null);
    await p.page.click('#newest-part');
    const st = await waitDone(p.page, 300_000);
    const cli = (f) => execFileSync(cliBin(), ['events', f], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 30 }).split('\n').filter(Boolean).length;
    const nNewer = cli(newer); const nOlder = cli(older);
    console.log(`newest part: ${st.records} records (newer file ${nNewer}, older ${nOlder})`);
    assert.ok(st.records > nNewer && st.records < nNewer + nOlder, st.text);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    await p.context.close();
  }
});
