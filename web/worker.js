// Keyhole's analysis worker, and its parse workers. The build puts wasm-bindgen's glue in front
// of this file and embeds both as text (keyhole-worker.js); every worker starts from that text as
// a blob:, so no worker makes a request. Receives the compiled wasm module from the page (or, for
// a parse worker, from the analysis worker), instantiates the same module the UI runs, and hands
// over to Rust: worker_start answers the page, parse_worker_start parses units.
'use strict';
self.onmessage = function (e) {
  const d = e.data;
  if (!d || d.kind !== 'keyhole-init') return;
  self.onmessage = null;
  wasm_bindgen.initSync({ module: d.module });
  if (d.role === 'parse') {
    // A parse worker of the analysis worker's pool (worker/pool.rs).
    wasm_bindgen.parse_worker_start();
    return;
  }
  self.KEYHOLE_MEMORY_LIMIT = d.memoryLimit || null;
  self.KEYHOLE_PARSE_WORKERS = d.parseWorkers || null;
  let blobUrl = null;
  // Called by Rust (worker/pool.rs) to start one parse worker: the same source (this worker's own
  // text, wasm-bindgen glue included, as a blob:) and the same compiled module.
  self.keyholeSpawnParser = function () {
    if (!blobUrl) blobUrl = URL.createObjectURL(new Blob([d.src], { type: 'text/javascript' }));
    const w = new Worker(blobUrl, { name: 'keyhole-parse' });
    w.postMessage({ kind: 'keyhole-init', module: d.module, role: 'parse', src: d.src });
    return w;
  };
  wasm_bindgen.worker_start();
};
