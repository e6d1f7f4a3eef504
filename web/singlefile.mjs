// Builds the offline single file: node web/singlefile.mjs DIST OUT.html
// Everything inlined (CSS, wasm as base64, wasm-bindgen glue, drop helper, worker source, boot),
// with a CSP that allows exactly these inline scripts and style by their sha256 hashes (no
// 'unsafe-inline') and still forbids every connection (connect-src 'none'). Works from file://.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';

const [dist = 'dist', out = 'dist-single/keyhole.html'] = process.argv.slice(2);
const read = (f) => fs.readFileSync(path.join(dist, f), 'utf8');
const sha = (s) => `'sha256-${crypto.createHash('sha256').update(s, 'utf8').digest('base64')}'`;
// Inline script text must not contain "</script" (or "<!--"); escape "<" inside JS strings.
const safe = (s, what) => {
  if (/<\/script|<!--/i.test(s)) throw new Error(`${what} contains </script or <!--`);
  return s;
};

const css = read('style.css');
const glue = read('keyhole-web.js');
const workerSrc = glue + '\n' + read('worker.js');
const scripts = [
  read('keyhole-wasm.js'),
  glue,
  read('drop.js'),
  'self.KEYHOLE_WORKER_SRC = ' + JSON.stringify(workerSrc).replace(/</g, '\\u003c') + ';',
  read('boot.js'),
].map((s, i) => safe(s, `script ${i}`));

const csp = [
  "default-src 'none'",
  `script-src 'wasm-unsafe-eval' ${scripts.map(sha).join(' ')}`,
  'worker-src blob:',
  `style-src ${sha(css)}`,
  'img-src data: blob:',
  "connect-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

let html = read('index.html');
if (!html.includes('connect-src \'none\'')) throw new Error('dist/index.html has no CSP');
html = html.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, `<meta http-equiv="Content-Security-Policy" content="${csp}">`);
html = html.replace(/<link rel="stylesheet"[^>]*>/, `<style>${css}</style>`);
html = html.replace(/<script src="[^"]*"><\/script>\s*/g, '');
html = html.replace('</body>', scripts.map((s) => `<script>${s}</script>`).join('\n') + '\n</body>');
if (/\b(?:src|href)="(?!data:|#)[^"]+"/.test(html)) throw new Error('single file still references an external asset');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, html);
console.log(`single file: ${out} (${(html.length / 1e6).toFixed(2)} MB)`);
