// Boots Keyhole without any network request: the wasm bytes come from keyhole-wasm.js (base64,
// written by the build), are compiled once here, and the compiled module is handed to the UI and
// to every worker (postMessage of a WebAssembly.Module). No fetch(), so CSP connect-src 'none' holds.
'use strict';
(function () {
  function decode(b64) {
    const bin = atob(b64);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  const ready = WebAssembly.compile(decode(self.KEYHOLE_WASM_B64)).then((module) => {
    self.KEYHOLE_WASM_B64 = null;
    self.KEYHOLE_WASM_MODULE = module;
    return module;
  });
  // Called by the UI (Rust) to start a worker: from the workers' source embedded as text
  // (keyhole-worker.js, written by the build), as a blob: worker, so that starting a worker makes
  // no request (served build and single file alike).
  let workerUrl = null;
  self.keyholeSpawnWorker = function () {
    if (!workerUrl) {
      workerUrl = URL.createObjectURL(new Blob([self.KEYHOLE_WORKER_SRC], { type: 'text/javascript' }));
    }
    const w = new Worker(workerUrl, { name: 'keyhole' });
    // The worker starts its own parse workers (nested, from the same module and source). A
    // lower memory ceiling can be set for tests: localStorage keyhole.memoryLimit (bytes); and
    // for benchmarks the parse workers' count: keyhole.parseWorkers (else the core count).
    let memoryLimit = null;
    let parseWorkers = null;
    try {
      memoryLimit = Number(self.localStorage.getItem('keyhole.memoryLimit')) || null;
      parseWorkers = Number(self.localStorage.getItem('keyhole.parseWorkers')) || null;
    } catch (e) { /* no storage */ }
    w.postMessage({ kind: 'keyhole-init', module: self.KEYHOLE_WASM_MODULE,
      src: self.KEYHOLE_WORKER_SRC, memoryLimit, parseWorkers });
    return w;
  };
  ready.then((module) => wasm_bindgen({ module_or_path: module }))
    .catch((e) => {
      const el = document.getElementById('loading');
      if (el) el.textContent = 'Keyhole could not start: ' + e;
      console.error(e);
    });
})();
