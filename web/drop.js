// Collects the files of a drop, walking dropped folders (webkitGetAsEntry). Returns
// [[File, relativePath], …]. Never reads file contents: the worker does, in chunks.
'use strict';
(function () {
  function readAll(reader) {
    return new Promise((resolve) => {
      const out = [];
      const step = () => reader.readEntries((batch) => {
        if (!batch.length) { resolve(out); return; }
        out.push(...batch); step();
      }, () => resolve(out));
      step();
    });
  }
  async function walk(entry, prefix, out, depth) {
    if (!entry || depth > 64 || out.length > 100000) return;
    if (entry.isFile) {
      const file = await new Promise((res) => entry.file(res, () => res(null)));
      if (file) out.push([file, prefix + entry.name]);
    } else if (entry.isDirectory) {
      const kids = await readAll(entry.createReader());
      for (const k of kids) await walk(k, prefix + entry.name + '/', out, depth + 1);
    }
  }
  self.keyholeCollectDrop = async function (dt) {
    const out = [];
    const items = dt.items ? Array.from(dt.items) : [];
    const entries = items.filter((i) => i.kind === 'file')
      .map((i) => (i.webkitGetAsEntry ? i.webkitGetAsEntry() : null));
    if (entries.length && entries.every((e) => e)) {
      for (const e of entries) await walk(e, '', out, 0);
      return out;
    }
    for (const f of Array.from(dt.files || [])) out.push([f, f.name]);
    return out;
  };
})();
