// Keyhole's analysis worker, and its parse workers. Receives the compiled wasm module from the
// page (or, for a parse worker, from the analysis worker), instantiates the same module the UI
// runs, and hands over to Rust: worker_start answers the page, parse_worker_start parses units.
'use strict';
self.onmessage = function (e) {
  const d = e.data;
  if (!d || d.kind !== 'keyhole-init') return;
  self.onmessage = null;
  if (typeof wasm_bindgen === 'undefined') {
    // A same-origin classic script (the single-file build inlines it instead). Retried: a request
    // shared with a just-terminated worker can be cancelled under it.
    for (let i = 0; ; i++) {
      try { importScripts('keyhole-web.js'); break; } catch (err) { if (i >= 2) throw err; }
    }
  }
  wasm_bindgen.initSync({ module: d.module });
  if (d.role === 'parse') {
    // A parse worker of the analysis worker's pool (worker/pool.rs).
    wasm_bindgen.parse_worker_start();
    return;
  }
  self.KEYHOLE_MEMORY_LIMIT = d.memoryLimit || null;
  let blobUrl = null;
  // Called by Rust (worker/pool.rs) to start one parse worker: the same source (served
  // worker.js, or the single-file build's text as a blob:) and the same compiled module.
  self.keyholeSpawnParser = function () {
    let w;
    if (d.src) {
      if (!blobUrl) blobUrl = URL.createObjectURL(new Blob([d.src], { type: 'text/javascript' }));
      w = new Worker(blobUrl, { name: 'keyhole-parse' });
    } else {
      w = new Worker('worker.js', { name: 'keyhole-parse' });
    }
    w.postMessage({ kind: 'keyhole-init', module: d.module, role: 'parse', src: d.src });
    return w;
  };
  wasm_bindgen.worker_start();
};
