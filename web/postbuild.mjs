// Trunk post-build hook (also usable by hand: node web/postbuild.mjs DIR).
// Makes the build CSP-clean: Trunk's loader fetches the .wasm (forbidden by connect-src 'none')
// and uses an inline script (forbidden by script-src 'self'). We drop both, embed the wasm bytes
// as base64 in keyhole-wasm.js, and load classic scripts from 'self' in a fixed order.
import fs from 'node:fs';
import path from 'node:path';

const dir = process.argv[2] || process.env.TRUNK_STAGING_DIR;
if (!dir) { console.error('postbuild: no directory'); process.exit(1); }
const htmlPath = path.join(dir, 'index.html');
let html = fs.readFileSync(htmlPath, 'utf8');

const wasmName = fs.readdirSync(dir).find((f) => f.endsWith('_bg.wasm'));
const glueName = wasmName && wasmName.replace(/_bg\.wasm$/, '.js');
if (!wasmName || !fs.existsSync(path.join(dir, glueName))) {
  console.error('postbuild: no wasm-bindgen output in ' + dir); process.exit(1);
}
if (glueName !== 'keyhole-web.js') fs.renameSync(path.join(dir, glueName), path.join(dir, 'keyhole-web.js'));
const wasm = fs.readFileSync(path.join(dir, wasmName));
fs.writeFileSync(path.join(dir, 'keyhole-wasm.js'),
  '// Keyhole\'s WebAssembly, embedded so that the page never fetches it.\nself.KEYHOLE_WASM_B64="' + wasm.toString('base64') + '";\n');
fs.unlinkSync(path.join(dir, wasmName));

// Remove whatever Trunk injected to load the wasm: preloads and scripts (inline or not).
html = html.replace(/<link\b[^>]*rel="(?:modulepreload|preload)"[^>]*>\s*/g, '');
html = html.replace(/<script\b[^>]*>[\s\S]*?<\/script>\s*/g, '');
const tags = ['keyhole-wasm.js', 'keyhole-web.js', 'drop.js', 'boot.js']
  .map((s) => `<script src="${s}"></script>`).join('\n');
html = html.replace('</body>', tags + '\n</body>');
if (/<script\b(?![^>]*\bsrc=)[^>]*>/.test(html)) { console.error('postbuild: inline script left'); process.exit(1); }
fs.writeFileSync(htmlPath, html);
console.log(`postbuild: ${wasmName} (${wasm.length} bytes) embedded; index.html has no inline script and no fetch`);
