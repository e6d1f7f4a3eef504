// Keyhole's analysis worker. Receives the compiled wasm module from the page, instantiates the
// same module the UI runs, and hands over to Rust (worker_start), which answers every message.
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
  wasm_bindgen.worker_start();
};
