// Keyhole's analysis worker. Receives the compiled wasm module from the page, instantiates the
// same module the UI runs, and hands over to Rust (worker_start), which answers every message.
'use strict';
self.onmessage = function (e) {
  const d = e.data;
  if (!d || d.kind !== 'keyhole-init') return;
  self.onmessage = null;
  if (typeof wasm_bindgen === 'undefined') importScripts('keyhole-web.js');
  wasm_bindgen.initSync({ module: d.module });
  wasm_bindgen.worker_start();
};
