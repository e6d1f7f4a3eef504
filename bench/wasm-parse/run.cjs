// node bench/wasm-parse/run.cjs PKG_DIR FILE [ROUNDS]: the wasm parse, ROUNDS times (V8 tiers the
// code up over the first rounds), seconds and MB/s a round.
const [pkg, file, rounds = '5'] = process.argv.slice(2);
const wb = require(require('path').resolve(pkg, 'keyhole_wasm_parse_bench.js'));
const b = require('fs').readFileSync(file);
for (let i = 0; i < Number(rounds); i++) {
  const t = performance.now();
  const n = wb.parse(b);
  const s = (performance.now() - t) / 1000;
  console.log(`wasm   ${s.toFixed(3)} s ${(b.length / 1e6 / s).toFixed(0)} MB/s (${n} wire bytes)`);
}
