// node bench/wasm-parse/run.cjs PKG_DIR FILE [ROUNDS] [parse|merge]: the wasm parse, ROUNDS times
// (V8 tiers the code up over the first rounds), seconds and MB/s a round; then the merge of the
// unit (decode and add), and the merge with the store built. `parse` / `merge`: only those rounds.
const [pkg, file, rounds = '5', only] = process.argv.slice(2);
const wb = require(require('path').resolve(pkg, 'keyhole_wasm_parse_bench.js'));
const b = require('fs').readFileSync(file);
const mb = b.length / 1e6;
if (only !== 'merge') {
  for (let i = 0; i < Number(rounds); i++) {
    const t = performance.now();
    const n = wb.parse(b);
    const s = (performance.now() - t) / 1000;
    console.log(`wasm   ${s.toFixed(3)} s ${(mb / s).toFixed(0)} MB/s (${n} wire bytes)`);
  }
}
const wire = only === 'parse' ? null : wb.parse_wire(b);
for (const build of only === 'parse' ? [] : only === 'merge' ? [false] : [false, true]) {
  for (let i = 0; i < Number(rounds); i++) {
    const t = performance.now();
    const n = wb.merge(wire, build);
    const s = (performance.now() - t) / 1000;
    console.log(`wasm   ${build ? 'merge+build' : 'merge'} ${s.toFixed(3)} s ${(mb / s).toFixed(0)} MB/s (${n} events)`);
  }
}
