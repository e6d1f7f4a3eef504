// Shared harness: a loopback static server for dist/, headless Debian Chromium through
// playwright-core (never a downloaded browser), request and CSP-violation accounting.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DIST = process.env.KEYHOLE_DIST || path.join(ROOT, 'dist');
export const SINGLE = process.env.KEYHOLE_SINGLE || path.join(ROOT, 'dist-single', 'keyhole.html');
export const OUT = path.join(ROOT, 'tests', 'out');
export const SAMPLES = path.resolve(ROOT, '..', 'shared', 'samples');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
fs.mkdirSync(OUT, { recursive: true });

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css',
  '.wasm': 'application/wasm', '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png' };

/** Serve `dir` on 127.0.0.1 (random port). Returns { origin, close, hits }. */
export async function serve(dir = DIST) {
  const hits = [];
  const server = http.createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    const url = new URL(req.url, 'http://x');
    let p = path.normalize(decodeURIComponent(url.pathname)).replace(/^([/\\])+/, '');
    if (p === '' || p.endsWith('/')) p += 'index.html';
    const file = path.join(dir, p);
    if (!file.startsWith(dir) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      res.writeHead(404); res.end('not found'); return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return { origin, hits, close: () => new Promise((r) => server.close(r)) };
}

export async function launch() {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyhole-e2e-'));
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    env: { ...process.env, HOME: userDataDir },
  });
  return { browser, userDataDir };
}

/** A page that records every request and every CSP violation (page and workers). */
export async function instrumentedPage(browser, { acceptDownloads = true, ...options } = {}) {
  const context = await browser.newContext({ acceptDownloads, viewport: { width: 1400, height: 1000 }, ...options });
  const page = await context.newPage();
  const requests = [];
  let loaded = false;
  context.on('request', (r) => requests.push({ url: r.url(), method: r.method(), afterLoad: loaded }));
  page.on('load', () => { loaded = true; });
  const consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  return { context, page, requests, consoleErrors };
}

/** Wait until the analysis finished; returns the status element's data attributes. */
export async function waitDone(page, timeout = 120000) {
  await page.waitForSelector('#status[data-done="1"], #error', { timeout });
  const err = await page.$('#error');
  if (err && !(await page.$('#status[data-done="1"]'))) {
    throw new Error('analysis failed: ' + (await err.textContent()));
  }
  return page.$eval('#status', (e) => ({ records: Number(e.dataset.records), alerts: Number(e.dataset.alerts), text: e.textContent }));
}

export function sampleFile(name) {
  const p = path.join(SAMPLES, name);
  return fs.existsSync(p) ? p : null;
}

export function samplesPresent(t) {
  if (!fs.existsSync(SAMPLES)) {
    console.log('skipped: ../shared/samples not present');
    t.skip('skipped: ../shared/samples not present');
    return false;
  }
  return true;
}

export async function shot(page, name) {
  await page.screenshot({ path: path.join(OUT, name + '.png'), fullPage: true });
}

/** Write text fixtures into a fresh temp dir; returns their paths. */
export function writeFixtures(files) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyhole-fx-'));
  return Object.entries(files).map(([name, data]) => {
    const p = path.join(dir, name);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, data);
    return p;
  });
}

/** Requests to anything but the page's own origin (data:/blob: are in-page). */
export function foreign(requests, origin) {
  return requests.filter((r) => !(r.url.startsWith(origin + '/') || r.url.startsWith('data:') || r.url.startsWith('blob:')));
}

/** The keyhole CLI (release, else debug build), or null. */
export function cliBin() {
  for (const p of [process.env.KEYHOLE_BIN, path.join(ROOT, 'target/release/keyhole'), path.join(ROOT, 'target/debug/keyhole')]) {
    if (p && fs.existsSync(p)) return p;
  }
  return null;
}

/** Runs the query in the Query tab's editor and waits for the answer to this run (results and
 * errors carry the run's number; a run clears what the previous one showed). */
export async function runQuery(page) {
  const before = await page.evaluate(() => document.querySelector('#kql-result, #kql-error')?.getAttribute('data-seq') ?? '');
  await page.click('#kql-run');
  await page.waitForFunction((prev) => {
    const el = document.querySelector('#kql-result, #kql-error');
    return el && el.getAttribute('data-seq') !== prev;
  }, before);
}

/** Every descendant process id of this node process (the browser tree). */
function descendants() {
  const kids = new Map();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!kids.has(ppid)) kids.set(ppid, []);
      kids.get(ppid).push(Number(d));
    } catch { /* gone */ }
  }
  const out = []; const stack = [...(kids.get(process.pid) || [])];
  while (stack.length) {
    const pid = stack.pop();
    stack.push(...(kids.get(pid) || []));
    out.push(pid);
  }
  return out;
}

/** PSS (kB) summed over every descendant process of this node process (the browser tree). */
export function treePssKb() {
  let total = 0;
  for (const pid of descendants()) {
    try {
      const m = /Pss:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
      if (m) total += Number(m[1]);
    } catch { /* gone */ }
  }
  return total;
}

/** CPU seconds (user + system) of every descendant process of this one, by thread name and
 * process kind (`renderer:DedicatedWorker`, `browser:ThreadPoolForeg`…; threads that ended,
 * such as a terminated worker's, as `kind:(ended threads)`): a bench's split of where a drop's
 * CPU went. */
export function treeCpuByThread() {
  const out = new Map();
  for (const pid of descendants()) {
    let kind = 'other';
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const m = /--type=([a-z-]+)/.exec(cmd);
      kind = m ? m[1] : (/chrom/.test(cmd) ? 'browser' : 'other');
    } catch { continue; }
    let tids = [];
    try { tids = fs.readdirSync(`/proc/${pid}/task`); } catch { continue; }
    // the process's own total counts threads that have ended (a terminated worker's)
    let live = 0;
    try {
      const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const g = f.slice(f.lastIndexOf(')') + 2).split(' ');
      live = -(Number(g[11]) + Number(g[12])) / 100;
    } catch { continue; }
    for (const t of tids) {
      try {
        const s = fs.readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
        const name = s.slice(s.indexOf('(') + 1, s.lastIndexOf(')')).replace(/[0-9]+$/, '').trim();
        const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
        const secs = (Number(f[11]) + Number(f[12])) / 100;
        const key = `${kind}:${name}`;
        out.set(key, (out.get(key) || 0) + secs);
        live += secs;
      } catch { /* gone */ }
    }
    const ended = `${kind}:(ended threads)`;
    out.set(ended, (out.get(ended) || 0) - live);
  }
  return out;
}
